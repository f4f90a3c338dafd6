<?php
/**
 * Settings → AgentDesk: the token and API URL, saved through the Settings API, and the connection status.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The settings page and the admin notice shown while heartbeats are paused.
 */
class AgentDesk_Admin {

	/** Settings group and page slug. */
	const PAGE = 'agentdesk';

	/**
	 * The API client.
	 *
	 * @var AgentDesk_API
	 */
	private $api;

	/**
	 * The token validator.
	 *
	 * @var AgentDesk_Validator
	 */
	private $validator;

	/**
	 * The heartbeat.
	 *
	 * @var AgentDesk_Heartbeat
	 */
	private $heartbeat;

	/**
	 * The token sanitize callback's result in this request. WordPress calls the callback twice
	 * when an option is first added; the token is validated (and a heartbeat sent) only once.
	 *
	 * @var string|null
	 */
	private $sanitized_token = null;

	/**
	 * Builds the admin side.
	 *
	 * @param AgentDesk_API       $api       The API client.
	 * @param AgentDesk_Validator $validator The token validator.
	 * @param AgentDesk_Heartbeat $heartbeat The heartbeat.
	 */
	public function __construct( AgentDesk_API $api, AgentDesk_Validator $validator, AgentDesk_Heartbeat $heartbeat ) {
		$this->api       = $api;
		$this->validator = $validator;
		$this->heartbeat = $heartbeat;
	}

	/**
	 * Hooks the page, the settings and the notice.
	 */
	public function register() {
		add_action( 'admin_menu', array( $this, 'add_page' ) );
		add_action( 'admin_init', array( $this, 'register_settings' ) );
		add_action( 'admin_notices', array( $this, 'paused_notice' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( AGENTDESK_PLUGIN_FILE ), array( $this, 'action_links' ) );
	}

	/**
	 * Adds Settings → AgentDesk.
	 */
	public function add_page() {
		add_options_page(
			__( 'AgentDesk Chatbot', 'agentdesk-chatbot' ),
			__( 'AgentDesk', 'agentdesk-chatbot' ),
			'manage_options',
			self::PAGE,
			array( $this, 'render_page' )
		);
	}

	/**
	 * A "Settings" link on the Plugins screen.
	 *
	 * @param array $links The plugin's links.
	 * @return array
	 */
	public function action_links( $links ) {
		$url = admin_url( 'options-general.php?page=' . self::PAGE );
		array_unshift( $links, '<a href="' . esc_url( $url ) . '">' . esc_html__( 'Settings', 'agentdesk-chatbot' ) . '</a>' );
		return $links;
	}

	/**
	 * Registers both options with their sanitize callbacks. The API URL comes first: options.php
	 * saves options in this order, so the token is validated against the URL just saved.
	 */
	public function register_settings() {
		register_setting(
			self::PAGE,
			'agentdesk_api_url',
			array(
				'type'              => 'string',
				'sanitize_callback' => array( $this, 'sanitize_api_url' ),
				'default'           => '',
			)
		);
		register_setting(
			self::PAGE,
			'agentdesk_api_token',
			array(
				'type'              => 'string',
				'sanitize_callback' => array( $this, 'sanitize_token' ),
				'default'           => '',
			)
		);

		add_settings_section( 'agentdesk_connection', __( 'Connection', 'agentdesk-chatbot' ), array( $this, 'render_section' ), self::PAGE );
		add_settings_field(
			'agentdesk_api_token',
			__( 'Bot API token', 'agentdesk-chatbot' ),
			array( $this, 'render_token_field' ),
			self::PAGE,
			'agentdesk_connection',
			array( 'label_for' => 'agentdesk_api_token' )
		);
		add_settings_field(
			'agentdesk_api_url',
			__( 'API URL', 'agentdesk-chatbot' ),
			array( $this, 'render_api_url_field' ),
			self::PAGE,
			'agentdesk_connection',
			array( 'label_for' => 'agentdesk_api_url' )
		);
	}

	/**
	 * Sanitizes the API URL: an http(s) URL, or '' for the default.
	 *
	 * @param mixed $value The submitted value.
	 * @return string
	 */
	public function sanitize_api_url( $value ) {
		$previous = get_option( 'agentdesk_api_url', '' );
		if ( defined( 'AGENTDESK_API_URL_FROM_CONFIG' ) ) {
			return is_string( $previous ) ? $previous : '';
		}
		$value = is_string( $value ) ? trim( $value ) : '';
		if ( '' === $value ) {
			return '';
		}
		$url = esc_url_raw( $value, array( 'http', 'https' ) );
		if ( '' === $url || ! preg_match( '#^https?://[^/\s?\#]+#i', $url ) ) {
			add_settings_error( 'agentdesk_api_url', 'agentdesk_api_url_invalid', esc_html__( 'The API URL must start with https:// (or http://). The previous URL was kept.', 'agentdesk-chatbot' ) );
			return is_string( $previous ) ? $previous : '';
		}
		return untrailingslashit( $url );
	}

	/**
	 * Sanitizes the token: an empty field keeps the saved token; any token is checked with
	 * AgentDesk before it is stored, and a good one is followed by an immediate heartbeat.
	 *
	 * @param mixed $value The submitted value.
	 * @return string The token to store.
	 */
	public function sanitize_token( $value ) {
		if ( null !== $this->sanitized_token ) {
			return $this->sanitized_token;
		}
		$current   = $this->api->token();
		$submitted = is_string( $value ) ? trim( sanitize_text_field( $value ) ) : '';
		$token     = '' === $submitted ? $current : $submitted;

		if ( '' === $token ) {
			add_settings_error( 'agentdesk_api_token', 'agentdesk_token_missing', esc_html__( 'Enter the bot API token from your AgentDesk dashboard to connect this site.', 'agentdesk-chatbot' ), 'warning' );
			$this->sanitized_token = '';
			return '';
		}

		$answer = $this->validator->validate_token( $token );
		if ( 'ok' !== $answer['result'] ) {
			$message = AgentDesk_API::explain( $answer ) . ' ' . ( $token === $current
				? __( 'The saved token is unchanged.', 'agentdesk-chatbot' )
				: __( 'The new token was not saved.', 'agentdesk-chatbot' ) );
			// settings_errors() prints messages as HTML: everything that came from the network is escaped.
			add_settings_error( 'agentdesk_api_token', 'agentdesk_token_' . $answer['result'], esc_html( $message ), 'error' );
			$this->sanitized_token = $current;
			return $current;
		}

		update_option( 'agentdesk_bot', $answer['bot'] );
		delete_option( AgentDesk_Heartbeat::PAUSED_OPTION );
		delete_transient( AgentDesk_Heartbeat::RETRY_TRANSIENT );

		$heartbeat = $this->heartbeat->send( true, $token );
		if ( ! wp_next_scheduled( AgentDesk_Heartbeat::HOOK ) && ! get_option( AgentDesk_Heartbeat::PAUSED_OPTION ) ) {
			wp_schedule_event( time() + AgentDesk_Heartbeat::INTERVAL, AgentDesk_Heartbeat::SCHEDULE, AgentDesk_Heartbeat::HOOK );
		}

		if ( 'ok' === $heartbeat['result'] ) {
			add_settings_error(
				'agentdesk_api_token',
				'agentdesk_connected',
				sprintf(
					/* translators: %s: the bot's name. */
					esc_html__( 'Connected to your AgentDesk bot "%s". Settings saved.', 'agentdesk-chatbot' ),
					esc_html( $answer['bot']['name'] )
				),
				'success'
			);
		} else {
			add_settings_error( 'agentdesk_api_token', 'agentdesk_heartbeat_' . $heartbeat['result'], esc_html( AgentDesk_API::explain( $heartbeat ) ), 'warning' );
		}
		$this->sanitized_token = $token;
		return $token;
	}

	/**
	 * Shown while heartbeats are paused because AgentDesk rejected the token or the bot is off.
	 */
	public function paused_notice() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$paused = get_option( AgentDesk_Heartbeat::PAUSED_OPTION );
		if ( ! is_string( $paused ) || '' === $paused ) {
			return;
		}
		printf(
			'<div class="notice notice-error agentdesk-notice"><p><strong>%1$s</strong> %2$s <a href="%3$s">%4$s</a></p></div>',
			esc_html__( 'AgentDesk heartbeats are paused.', 'agentdesk-chatbot' ),
			esc_html( AgentDesk_API::explain( array( 'result' => $paused ) ) ),
			esc_url( admin_url( 'options-general.php?page=' . self::PAGE ) ),
			esc_html__( 'Open the AgentDesk settings', 'agentdesk-chatbot' )
		);
	}

	/**
	 * The section's introduction.
	 */
	public function render_section() {
		echo '<p>' . esc_html__( 'Paste the bot API token from your AgentDesk dashboard. Saving checks the token with AgentDesk and sends a first heartbeat.', 'agentdesk-chatbot' ) . '</p>';
	}

	/**
	 * The token field: a password field that is always empty; the saved token is never printed,
	 * only its first characters.
	 */
	public function render_token_field() {
		$token = $this->api->token();
		echo '<input type="password" id="agentdesk_api_token" name="agentdesk_api_token" value="" class="regular-text" autocomplete="off" spellcheck="false" placeholder="' . esc_attr( '' === $token ? 'bot_…' : __( 'Leave empty to keep the saved token', 'agentdesk-chatbot' ) ) . '" />';
		if ( '' !== $token ) {
			echo '<p class="description">' . sprintf(
				/* translators: %s: the first characters of the saved token. */
				esc_html__( 'A token is saved (%s). It is never shown in full.', 'agentdesk-chatbot' ),
				'<code>' . esc_html( substr( $token, 0, 8 ) . '…' ) . '</code>'
			) . '</p>';
		}
	}

	/**
	 * The API URL field; read-only when wp-config.php sets AGENTDESK_API_URL.
	 */
	public function render_api_url_field() {
		if ( defined( 'AGENTDESK_API_URL_FROM_CONFIG' ) ) {
			echo '<input type="url" id="agentdesk_api_url" value="' . esc_attr( AGENTDESK_API_URL ) . '" class="regular-text code" disabled="disabled" />';
			echo '<p class="description">' . esc_html__( 'Set by AGENTDESK_API_URL in wp-config.php.', 'agentdesk-chatbot' ) . '</p>';
			return;
		}
		$saved = get_option( 'agentdesk_api_url', '' );
		echo '<input type="url" id="agentdesk_api_url" name="agentdesk_api_url" value="' . esc_attr( is_string( $saved ) ? $saved : '' ) . '" class="regular-text code" placeholder="' . esc_attr( AGENTDESK_API_URL ) . '" />';
		echo '<p class="description">' . esc_html__( 'Leave empty to use AgentDesk. Change it only if AgentDesk support asks you to.', 'agentdesk-chatbot' ) . '</p>';
	}

	/**
	 * The connection status: what AgentDesk answered last, in words.
	 *
	 * @return array{label: string, class: string, message: string}
	 */
	private function status() {
		$paused = get_option( AgentDesk_Heartbeat::PAUSED_OPTION );
		$last   = AgentDesk_Heartbeat::last_result();
		if ( '' === $this->api->token() ) {
			return array(
				'label'   => __( 'Not connected', 'agentdesk-chatbot' ),
				'class'   => 'agentdesk-status-never',
				'message' => __( 'No bot API token is saved yet.', 'agentdesk-chatbot' ),
			);
		}
		if ( is_string( $paused ) && '' !== $paused ) {
			return array(
				'label'   => __( 'Paused', 'agentdesk-chatbot' ),
				'class'   => 'agentdesk-status-paused',
				'message' => AgentDesk_API::explain( array( 'result' => $paused ) ),
			);
		}
		if ( null === $last ) {
			return array(
				'label'   => __( 'Not connected', 'agentdesk-chatbot' ),
				'class'   => 'agentdesk-status-never',
				'message' => AgentDesk_API::explain( array() ),
			);
		}
		if ( 'ok' === $last['result'] ) {
			return array(
				'label'   => __( 'Connected', 'agentdesk-chatbot' ),
				'class'   => 'agentdesk-status-connected',
				'message' => AgentDesk_API::explain( $last ),
			);
		}
		return array(
			'label'   => __( 'Connection problem', 'agentdesk-chatbot' ),
			'class'   => 'agentdesk-status-error',
			'message' => AgentDesk_API::explain( $last ),
		);
	}

	/**
	 * Settings → AgentDesk.
	 */
	public function render_page() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You do not have permission to change the AgentDesk settings.', 'agentdesk-chatbot' ) );
		}
		$status = $this->status();
		$last   = AgentDesk_Heartbeat::last_result();
		$bot    = get_option( 'agentdesk_bot' );
		$ok_at  = get_option( 'agentdesk_last_heartbeat' );
		$next   = wp_next_scheduled( AgentDesk_Heartbeat::HOOK );
		?>
		<div class="wrap">
			<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>

			<h2><?php esc_html_e( 'Connection status', 'agentdesk-chatbot' ); ?></h2>
			<table class="form-table agentdesk-status" role="presentation">
				<tr>
					<th scope="row"><?php esc_html_e( 'Status', 'agentdesk-chatbot' ); ?></th>
					<td><strong id="agentdesk-status" class="<?php echo esc_attr( $status['class'] ); ?>"><?php echo esc_html( $status['label'] ); ?></strong>
						<p id="agentdesk-status-message"><?php echo esc_html( $status['message'] ); ?></p></td>
				</tr>
				<?php if ( is_array( $bot ) && ! empty( $bot['name'] ) ) : ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Bot', 'agentdesk-chatbot' ); ?></th>
					<td id="agentdesk-bot"><?php echo esc_html( $bot['name'] ); ?></td>
				</tr>
				<?php endif; ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Last successful heartbeat', 'agentdesk-chatbot' ); ?></th>
					<td id="agentdesk-last-heartbeat">
					<?php
					if ( is_string( $ok_at ) && '' !== $ok_at ) {
						echo esc_html(
							sprintf(
								/* translators: 1: a date and time, 2: a duration such as "3 mins". */
								__( '%1$s (%2$s ago)', 'agentdesk-chatbot' ),
								$ok_at,
								human_time_diff( (int) get_gmt_from_date( $ok_at, 'U' ) )
							)
						);
					} else {
						esc_html_e( 'Never', 'agentdesk-chatbot' );
					}
					?>
					</td>
				</tr>
				<?php if ( null !== $last ) : ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Last attempt', 'agentdesk-chatbot' ); ?></th>
					<td id="agentdesk-last-attempt">
					<?php
					echo esc_html(
						sprintf(
							/* translators: 1: a duration such as "3 mins", 2: what happened. */
							__( '%1$s ago: %2$s', 'agentdesk-chatbot' ),
							human_time_diff( (int) $last['time'] ),
							AgentDesk_API::explain( $last )
						)
					);
					?>
					</td>
				</tr>
				<?php endif; ?>
				<tr>
					<th scope="row"><?php esc_html_e( 'Next heartbeat', 'agentdesk-chatbot' ); ?></th>
					<td id="agentdesk-next-heartbeat">
					<?php
					if ( $next ) {
						echo esc_html(
							sprintf(
								/* translators: %s: a duration such as "4 mins". */
								__( 'in %s (WP-Cron runs when your site has visitors)', 'agentdesk-chatbot' ),
								human_time_diff( time(), (int) $next )
							)
						);
					} else {
						esc_html_e( 'Not scheduled', 'agentdesk-chatbot' );
					}
					?>
					</td>
				</tr>
			</table>

			<form action="<?php echo esc_url( admin_url( 'options.php' ) ); ?>" method="post">
				<?php
				settings_fields( self::PAGE );
				do_settings_sections( self::PAGE );
				submit_button( __( 'Save and test connection', 'agentdesk-chatbot' ) );
				?>
			</form>

			<h2><?php esc_html_e( 'What this plugin sends', 'agentdesk-chatbot' ); ?></h2>
			<p><?php esc_html_e( 'Every five minutes: this site\'s address, the plugin version, the WordPress version and whether the plugin is active. Nothing about your users, content or visitors.', 'agentdesk-chatbot' ); ?></p>
		</div>
		<?php
	}
}
