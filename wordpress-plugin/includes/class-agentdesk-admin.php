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

	/** The admin-post.php action of the "Send heartbeat now" button. */
	const TEST_ACTION = 'agentdesk_test_connection';

	/** The admin-post.php action that dismisses the paused notice. */
	const DISMISS_ACTION = 'agentdesk_dismiss_paused';

	/** User meta: the pause the user dismissed the notice of (a new pause shows it again). */
	const DISMISSED_META = 'agentdesk_dismissed_pause';

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
		add_action( 'admin_init', array( $this, 'add_privacy_policy_content' ) );
		add_action( 'admin_post_' . self::TEST_ACTION, array( $this, 'handle_test_connection' ) );
		add_action( 'admin_post_' . self::DISMISS_ACTION, array( $this, 'handle_dismiss_notice' ) );
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
	 * Whether the current user may change the API URL: a super admin (on a single site, an
	 * administrator), and nobody when wp-config.php sets AGENTDESK_API_URL. A sub-site's
	 * administrator on a network may not point the site's server at another address.
	 *
	 * @return bool
	 */
	public static function may_change_api_url() {
		return ! defined( 'AGENTDESK_API_URL_FROM_CONFIG' ) && is_super_admin();
	}

	/**
	 * Sanitizes the API URL: an http(s) URL on a public address (url_refusal()), or '' for the
	 * default (also when the default itself is submitted). Anyone but may_change_api_url() keeps
	 * the saved one.
	 *
	 * @param mixed $value The submitted value.
	 * @return string
	 */
	public function sanitize_api_url( $value ) {
		$previous = get_option( 'agentdesk_api_url', '' );
		$previous = is_string( $previous ) ? $previous : '';
		if ( ! self::may_change_api_url() ) {
			if ( is_string( $value ) && '' !== trim( $value ) && untrailingslashit( trim( $value ) ) !== $previous && ! defined( 'AGENTDESK_API_URL_FROM_CONFIG' ) ) {
				add_settings_error( 'agentdesk_api_url', 'agentdesk_api_url_locked', esc_html__( 'Only a network administrator can change the API URL. The previous URL was kept.', 'agentdesk-chatbot' ) );
			}
			return $previous;
		}
		$value = is_string( $value ) ? trim( $value ) : '';
		if ( '' === $value || untrailingslashit( $value ) === untrailingslashit( AGENTDESK_API_URL ) ) {
			return '';
		}
		$url     = esc_url_raw( $value, array( 'http', 'https' ) );
		$refusal = '' === $url || ! preg_match( '#^https?://[^/\s?\#]+#i', $url ) ? __( 'The API URL must start with https:// (or http://).', 'agentdesk-chatbot' ) : AgentDesk_API::url_refusal( $url );
		if ( '' !== $refusal ) {
			add_settings_error( 'agentdesk_api_url', 'agentdesk_api_url_invalid', esc_html( $refusal . ' ' . __( 'The previous URL was kept.', 'agentdesk-chatbot' ) ) );
			return $previous;
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
		if ( AgentDesk_API::token_locked() ) {
			// wp-config.php's AGENTDESK_API_TOKEN wins; the option is left as it was.
			$previous              = get_option( 'agentdesk_api_token', '' );
			$this->sanitized_token = is_string( $previous ) ? $previous : '';
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

		$answers = $this->heartbeat->connect( $this->validator, $token );
		$answer  = $answers['validation'];
		if ( null === $answers['heartbeat'] ) {
			$message = AgentDesk_API::explain( $answer ) . ' ' . ( $token === $current
				? __( 'The saved token is unchanged.', 'agentdesk-chatbot' )
				: __( 'The new token was not saved.', 'agentdesk-chatbot' ) );
			// settings_errors() prints messages as HTML: everything that came from the network is escaped.
			add_settings_error( 'agentdesk_api_token', 'agentdesk_token_' . $answer['result'], esc_html( $message ), 'error' );
			$this->sanitized_token = $current;
			return $current;
		}

		$heartbeat = $answers['heartbeat'];
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
	 * The "Send heartbeat now" button (admin-post.php): sends one heartbeat with the saved token
	 * and shows the service's answer on the settings page.
	 */
	public function handle_test_connection() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You do not have permission to change the AgentDesk settings.', 'agentdesk-chatbot' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::TEST_ACTION );
		if ( '' === $this->api->token() ) {
			$answer = array( 'result' => 'no_token' );
		} else {
			$answer = $this->heartbeat->send( true );
			if ( 'ok' === $answer['result'] ) {
				// An accepted heartbeat also ends a pause: resume the schedule.
				$this->heartbeat->maybe_schedule();
			}
		}
		// Kept without the answer's body: what the page shows is the result, the status and the (capped) detail.
		unset( $answer['data'] );
		set_transient( 'agentdesk_test_' . get_current_user_id(), $answer, 5 * MINUTE_IN_SECONDS );
		wp_safe_redirect( add_query_arg( 'agentdesk-tested', '1', admin_url( 'options-general.php?page=' . self::PAGE ) ) );
		exit;
	}

	/**
	 * Dismisses the paused notice for this user until heartbeats are paused again.
	 */
	public function handle_dismiss_notice() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You do not have permission to change the AgentDesk settings.', 'agentdesk-chatbot' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::DISMISS_ACTION );
		update_user_meta( get_current_user_id(), self::DISMISSED_META, self::pause_key() );
		wp_safe_redirect( wp_get_referer() ? wp_get_referer() : admin_url() );
		exit;
	}

	/**
	 * Names the current pause (its reason and when it began), '' when not paused.
	 *
	 * @return string
	 */
	private static function pause_key() {
		$paused = get_option( AgentDesk_Heartbeat::PAUSED_OPTION );
		if ( ! is_string( $paused ) || '' === $paused ) {
			return '';
		}
		$last = AgentDesk_Heartbeat::last_result();
		return $paused . ':' . ( null === $last ? 0 : (int) $last['time'] );
	}

	/**
	 * Suggests a paragraph for the site's privacy policy (Settings → Privacy → Policy Guide).
	 */
	public function add_privacy_policy_content() {
		if ( ! function_exists( 'wp_add_privacy_policy_content' ) ) {
			return;
		}
		$privacy = $this->api->privacy_url();
		$text    = '<p>' . esc_html__( 'This site uses the AgentDesk chat bot. When you open a page, your browser loads the chat widget and the bot\'s settings from AgentDesk, which receives your IP address, browser details and the address of the page, as with any web request. Messages you write to the bot are sent to AgentDesk to be answered.', 'agentdesk-chatbot' ) . '</p>';
		if ( '' !== $privacy ) {
			$text .= '<p>' . sprintf(
				/* translators: %s: link to AgentDesk's privacy policy. */
				esc_html__( 'AgentDesk\'s privacy policy: %s', 'agentdesk-chatbot' ),
				'<a href="' . esc_url( $privacy ) . '">' . esc_html( $privacy ) . '</a>'
			) . '</p>';
		}
		wp_add_privacy_policy_content( __( 'AgentDesk Chatbot', 'agentdesk-chatbot' ), wp_kses_post( $text ) );
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
		if ( get_user_meta( get_current_user_id(), self::DISMISSED_META, true ) === self::pause_key() ) {
			return;
		}
		$dismiss = wp_nonce_url( admin_url( 'admin-post.php?action=' . self::DISMISS_ACTION ), self::DISMISS_ACTION );
		printf(
			'<div class="notice notice-error agentdesk-notice"><p><strong>%1$s</strong> %2$s <a href="%3$s">%4$s</a> | <a class="agentdesk-dismiss" href="%5$s">%6$s</a></p></div>',
			esc_html__( 'AgentDesk heartbeats are paused.', 'agentdesk-chatbot' ),
			esc_html( AgentDesk_API::explain( array( 'result' => $paused ) ) ),
			esc_url( admin_url( 'options-general.php?page=' . self::PAGE ) ),
			esc_html__( 'Open the AgentDesk settings', 'agentdesk-chatbot' ),
			esc_url( $dismiss ),
			esc_html__( 'Dismiss', 'agentdesk-chatbot' )
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
		if ( AgentDesk_API::token_locked() ) {
			echo '<input type="password" id="agentdesk_api_token" value="" class="regular-text" disabled="disabled" />';
			echo '<p class="description" id="agentdesk-token-locked">' . sprintf(
				/* translators: %s: the first characters of the token. */
				esc_html__( 'Set by AGENTDESK_API_TOKEN in wp-config.php (%s) and locked here.', 'agentdesk-chatbot' ),
				'<code>' . esc_html( substr( $token, 0, 8 ) . '…' ) . '</code>'
			) . '</p>';
			return;
		}
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
	 * The API URL field; read-only when wp-config.php sets AGENTDESK_API_URL, or for an
	 * administrator who may not change it (may_change_api_url()).
	 */
	public function render_api_url_field() {
		if ( defined( 'AGENTDESK_API_URL_FROM_CONFIG' ) ) {
			echo '<input type="url" id="agentdesk_api_url" value="' . esc_attr( AGENTDESK_API_URL ) . '" class="regular-text code" disabled="disabled" />';
			echo '<p class="description">' . esc_html__( 'Set by AGENTDESK_API_URL in wp-config.php.', 'agentdesk-chatbot' ) . '</p>';
			return;
		}
		$saved = get_option( 'agentdesk_api_url', '' );
		$saved = is_string( $saved ) ? $saved : '';
		if ( ! self::may_change_api_url() ) {
			echo '<input type="url" id="agentdesk_api_url" value="' . esc_attr( '' === $saved ? AGENTDESK_API_URL : $saved ) . '" class="regular-text code" disabled="disabled" />';
			echo '<p class="description" id="agentdesk-api-url-locked">' . esc_html__( 'Only a network administrator can change the API URL.', 'agentdesk-chatbot' ) . '</p>';
			return;
		}
		echo '<input type="url" id="agentdesk_api_url" name="agentdesk_api_url" value="' . esc_attr( $saved ) . '" class="regular-text code" maxlength="' . esc_attr( (string) AgentDesk_API::MAX_URL_LENGTH ) . '" placeholder="' . esc_attr( AGENTDESK_API_URL ) . '" />';
		echo '<p class="description">' . esc_html__( 'Leave empty to use AgentDesk. Change it only if AgentDesk support asks you to.', 'agentdesk-chatbot' ) . '</p>';
	}

	/**
	 * The connection status: what AgentDesk answered last, in words.
	 *
	 * @return array{label: string, class: string, message: string}
	 */
	public function status() {
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
	 * What to do when WP-Cron does not run the heartbeat.
	 *
	 * @return string
	 */
	public static function cron_advice() {
		if ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) {
			return __( 'WP-Cron is disabled on this site (DISABLE_WP_CRON) and no system cron job seems to run wp-cron.php. Ask your host to call wp-cron.php every five minutes.', 'agentdesk-chatbot' );
		}
		return __( 'WP-Cron runs only when the site has visitors, and may be blocked by your host. A system cron job calling wp-cron.php every five minutes makes the heartbeat regular.', 'agentdesk-chatbot' );
	}

	/**
	 * The answer of the last "Send heartbeat now" by this user, once, or null.
	 *
	 * @return array|null
	 */
	private function take_test_result() {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only decides whether to show a stored result.
		if ( ! isset( $_GET['agentdesk-tested'] ) ) {
			return null;
		}
		$key    = 'agentdesk_test_' . get_current_user_id();
		$answer = get_transient( $key );
		delete_transient( $key );
		return is_array( $answer ) ? $answer : null;
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
		$tested = $this->take_test_result();
		?>
		<div class="wrap">
			<h1><?php echo esc_html( get_admin_page_title() ); ?></h1>
			<?php if ( null !== $tested ) : ?>
			<div id="agentdesk-test-result" class="notice <?php echo esc_attr( 'ok' === $tested['result'] ? 'notice-success' : 'notice-error' ); ?>"><p>
				<?php
				if ( 'no_token' === $tested['result'] ) {
					esc_html_e( 'Save a bot API token first: nothing is sent to AgentDesk before that.', 'agentdesk-chatbot' );
				} else {
					echo esc_html(
						sprintf(
							/* translators: 1: an HTTP status code such as 200 (0 when there was no answer), 2: what it means. */
							__( 'AgentDesk answered (HTTP %1$d): %2$s', 'agentdesk-chatbot' ),
							(int) $tested['code'],
							AgentDesk_API::explain( $tested )
						)
					);
				}
				?>
			</p></div>
			<?php endif; ?>

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
						// Stored in local time (as 1.0 did); shown in the site's own date and time format.
						$ok_time = (int) get_gmt_from_date( $ok_at, 'U' );
						echo esc_html(
							sprintf(
								/* translators: 1: a date and time, 2: a duration such as "3 mins". */
								__( '%1$s (%2$s ago)', 'agentdesk-chatbot' ),
								wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $ok_time ),
								human_time_diff( $ok_time )
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
					$overdue = AgentDesk_Heartbeat::overdue_seconds();
					if ( $overdue > 0 ) {
						echo '<strong class="agentdesk-overdue">' . esc_html(
							sprintf(
								/* translators: %s: a duration such as "2 hours". */
								__( 'Overdue by %s.', 'agentdesk-chatbot' ),
								human_time_diff( time() - $overdue )
							)
						) . '</strong> ' . esc_html( self::cron_advice() );
					} elseif ( $next ) {
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

			<?php
			$agentdesk_items = AgentDesk_Attention::items();
			$agentdesk_newer = AgentDesk_Attention::newer_release();
			if ( array() !== $agentdesk_items || '' !== $agentdesk_newer ) :
				?>
			<h2><?php esc_html_e( 'Needs attention', 'agentdesk-chatbot' ); ?></h2>
			<div id="agentdesk-attention">
				<?php if ( '' !== $agentdesk_newer ) : ?>
				<p id="agentdesk-newer-release">
					<?php
					/* translators: 1: the newer version, 2: this plugin's version. */
					echo esc_html( sprintf( __( 'AgentDesk plugin %1$s is available; this site runs %2$s.', 'agentdesk-chatbot' ), $agentdesk_newer, AGENTDESK_VERSION ) );
					?>
				</p>
				<?php endif; ?>
				<?php echo AgentDesk_Attention::html_list(); // phpcs:ignore WordPress.Security.EscapeOutput.OutputNotEscaped -- escaped in html_list(). ?>
			</div>
			<?php endif; ?>

			<?php if ( '' !== $this->api->token() ) : ?>
			<form action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" method="post" id="agentdesk-test-form">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::TEST_ACTION ); ?>" />
				<?php wp_nonce_field( self::TEST_ACTION ); ?>
				<?php submit_button( __( 'Send heartbeat now', 'agentdesk-chatbot' ), 'secondary', 'agentdesk-test', false ); ?>
			</form>
			<?php endif; ?>

			<?php do_action( 'agentdesk_settings_connection' ); ?>

			<form action="<?php echo esc_url( admin_url( 'options.php' ) ); ?>" method="post">
				<?php
				settings_fields( self::PAGE );
				do_settings_sections( self::PAGE );
				submit_button( __( 'Save and test connection', 'agentdesk-chatbot' ) );
				?>
			</form>

			<h2><?php esc_html_e( 'What this plugin sends', 'agentdesk-chatbot' ); ?></h2>
			<p><?php esc_html_e( 'Nothing until a token is saved. Then, every five minutes, from your server: this site\'s address, the plugin version, the WordPress version and whether the plugin is active; nothing about your users or content. Your visitors\' browsers load the chat widget and the bot\'s settings from AgentDesk, which therefore receives their IP address and browser details.', 'agentdesk-chatbot' ); ?></p>
			<?php if ( '' !== $this->api->terms_url() ) : ?>
			<p id="agentdesk-legal"><a href="<?php echo esc_url( $this->api->terms_url() ); ?>"><?php esc_html_e( 'AgentDesk terms of use', 'agentdesk-chatbot' ); ?></a> · <a href="<?php echo esc_url( $this->api->privacy_url() ); ?>"><?php esc_html_e( 'AgentDesk privacy policy', 'agentdesk-chatbot' ); ?></a></p>
			<?php endif; ?>
		</div>
		<?php
	}
}
