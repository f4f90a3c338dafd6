<?php
/**
 * One-click connect and disconnect, and the address the site was connected on (copies of a site).
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * "Connect to AgentDesk": the browser goes to the service's /connect page with this site's address,
 * where to come back and a random state kept for this user and site; the owner approves there; the
 * service sends the browser back with a single-use code, which this site exchanges for its token,
 * server to server. Also the Disconnect button, and the rule that stops a copy of the site (another
 * address, or a staging copy of a production site) from reporting under the original's token.
 */
class AgentDesk_Connect {

	/** The admin-post.php action of the "Connect to AgentDesk" button. */
	const START_ACTION = 'agentdesk_connect';

	/** The admin-post.php action the service sends the browser back to. */
	const RETURN_ACTION = 'agentdesk_connect_return';

	/** The admin-post.php action of the Disconnect button. */
	const DISCONNECT_ACTION = 'agentdesk_disconnect';

	/** User meta (with the site's id appended): the state of this user's connect in progress. */
	const STATE_META = 'agentdesk_connect_state_';

	/** User meta (with the site's id appended): what this user's last connect or disconnect did, shown once. */
	const RESULT_META = 'agentdesk_connect_result_';

	/** Option: the address and environment type the site was connected on. */
	const CONNECTED_ON_OPTION = 'agentdesk_connected_on';

	/** Seconds a connect may take, from the button to the way back. */
	const STATE_TTL = 1800;

	/** Bytes of the service's answer to the exchange read at most. */
	const MAX_ANSWER_BYTES = 16384;

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
	 * Builds the connect side.
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
	 * Hooks the three admin-post.php actions and the settings page's buttons.
	 */
	public function register() {
		add_action( 'admin_post_' . self::START_ACTION, array( $this, 'handle_start' ) );
		add_action( 'admin_post_' . self::RETURN_ACTION, array( $this, 'handle_return' ) );
		add_action( 'admin_post_' . self::DISCONNECT_ACTION, array( $this, 'handle_disconnect' ) );
		add_action( 'agentdesk_settings_connection', array( $this, 'render_buttons' ) );
	}

	/**
	 * The address and environment type the site is on now.
	 *
	 * @return array{url: string, environment: string}
	 */
	private static function current_site() {
		return array(
			'url'         => untrailingslashit( home_url() ),
			'environment' => function_exists( 'wp_get_environment_type' ) ? wp_get_environment_type() : 'production',
		);
	}

	/**
	 * Remembers the address and environment the site is connected on (every way of connecting).
	 */
	public static function remember_site() {
		update_option( self::CONNECTED_ON_OPTION, self::current_site(), false );
	}

	/**
	 * Forgets it (disconnect).
	 */
	public static function forget_site() {
		delete_option( self::CONNECTED_ON_OPTION );
	}

	/**
	 * The address of the site this one is a copy of, or '' when it is not a copy: a token is saved
	 * and the site's address differs from the one it was connected on, or it was connected as a
	 * production site and is not one now (a staging copy). A site connected before this was
	 * remembered (an upgrade) has its current address remembered here.
	 *
	 * @return string
	 */
	public static function copy_of() {
		$on = get_option( self::CONNECTED_ON_OPTION );
		if ( ! is_array( $on ) || empty( $on['url'] ) || ! is_string( $on['url'] ) ) {
			if ( '' !== ( new AgentDesk_API() )->token() ) {
				self::remember_site();
			}
			return '';
		}
		$now = self::current_site();
		if ( $on['url'] !== $now['url'] ) {
			return $on['url'];
		}
		$was = isset( $on['environment'] ) && is_string( $on['environment'] ) ? $on['environment'] : 'production';
		return 'production' === $was && 'production' !== $now['environment'] ? $on['url'] : '';
	}

	/**
	 * The settings page URL, with a query argument.
	 *
	 * @param array $args Query arguments.
	 * @return string
	 */
	private static function settings_url( $args = array() ) {
		return add_query_arg( $args, admin_url( 'options-general.php?page=' . AgentDesk_Admin::PAGE ) );
	}

	/**
	 * Refuses users who may not change the settings.
	 */
	private static function require_manager() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You do not have permission to change the AgentDesk settings.', 'agentdesk-chatbot' ), '', array( 'response' => 403 ) );
		}
	}

	/**
	 * Keeps what happened for this user's next view of the settings page, and goes there.
	 *
	 * @param string $kind    success or error.
	 * @param string $message The words shown.
	 */
	private static function finish( $kind, $message ) {
		update_user_meta(
			get_current_user_id(),
			self::RESULT_META . get_current_blog_id(),
			array(
				'kind'    => $kind,
				'message' => $message,
			)
		);
		wp_safe_redirect( self::settings_url( array( 'agentdesk-connect' => '1' ) ) );
		exit;
	}

	/**
	 * The "Connect to AgentDesk" button: a new state for this user and site, then the service's
	 * approval page.
	 */
	public function handle_start() {
		self::require_manager();
		check_admin_referer( self::START_ACTION );
		if ( AgentDesk_API::token_locked() ) {
			self::finish( 'error', __( 'The token is set by AGENTDESK_API_TOKEN in wp-config.php: change it there.', 'agentdesk-chatbot' ) );
		}
		if ( '' === $this->api->service_url() ) {
			self::finish( 'error', AgentDesk_API::explain( array( 'result' => 'not_configured' ) ) );
		}
		$state = wp_generate_password( 40, false, false );
		update_user_meta(
			get_current_user_id(),
			self::STATE_META . get_current_blog_id(),
			array(
				'state'   => $state,
				'expires' => time() + self::STATE_TTL,
			)
		);
		$url = $this->api->service_url() . '/connect?' . http_build_query(
			array(
				'site_url'   => home_url(),
				'return_url' => admin_url( 'admin-post.php?action=' . self::RETURN_ACTION ),
				'state'      => $state,
			),
			'',
			'&',
			PHP_QUERY_RFC3986
		);
		// phpcs:ignore WordPress.Security.SafeRedirect.wp_redirect_wp_redirect -- the AgentDesk service is another host by design; its URL is the configured API URL.
		wp_redirect( $url );
		exit;
	}

	/**
	 * The way back from the service: checks the state kept for this user and site, exchanges the
	 * code for the token (server to server), stores it and sends the first heartbeat.
	 */
	public function handle_return() {
		self::require_manager();
		$key   = self::STATE_META . get_current_blog_id();
		$kept  = get_user_meta( get_current_user_id(), $key, true );
		$state = isset( $_GET['state'] ) ? sanitize_text_field( wp_unslash( $_GET['state'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- the state kept for this user is the check.
		$valid = is_array( $kept ) && isset( $kept['state'], $kept['expires'] ) && is_string( $kept['state'] )
			&& time() < (int) $kept['expires'] && '' !== $state && hash_equals( $kept['state'], $state );
		if ( ! $valid ) {
			self::finish( 'error', __( 'This connection was not started from this page, or took too long. Click "Connect to AgentDesk" again.', 'agentdesk-chatbot' ) );
		}
		// One use only: a replayed link finds no state.
		delete_user_meta( get_current_user_id(), $key );
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- checked by the state above.
		if ( isset( $_GET['error'] ) ) {
			self::finish( 'error', __( 'The connection was cancelled in AgentDesk. Nothing was changed.', 'agentdesk-chatbot' ) );
		}
		$code = isset( $_GET['code'] ) ? sanitize_text_field( wp_unslash( $_GET['code'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- checked by the state above.
		$this->complete( $code );
	}

	/**
	 * Exchanges the code, then connects with the token as pasting it would (validation, bot, first
	 * heartbeat, schedule), and stores it.
	 *
	 * @param string $code The code the service appended.
	 */
	private function complete( $code ) {
		// The same guard as every other call: a saved API URL on a private address is refused.
		$refused = $this->api->refused_url();
		if ( null !== $refused ) {
			self::finish( 'error', AgentDesk_API::explain( $refused ) );
		}
		$answer = AgentDesk_API::describe(
			wp_remote_post(
				$this->api->base_url() . '/connect/token',
				array(
					'timeout'             => AgentDesk_API::TIMEOUT,
					'redirection'         => 0,
					'limit_response_size' => self::MAX_ANSWER_BYTES,
					'user-agent'          => 'AgentDesk-Chatbot/' . AGENTDESK_VERSION,
					'headers'             => array(
						'Accept'       => 'application/json',
						'Content-Type' => 'application/json',
					),
					'body'                => wp_json_encode(
						array(
							'code'     => $code,
							'site_url' => home_url(),
						)
					),
				)
			)
		);
		$token = isset( $answer['data']['token'] ) && is_string( $answer['data']['token'] ) ? $answer['data']['token'] : '';
		if ( 'ok' !== $answer['result'] || ! preg_match( '/^bot_[A-Za-z0-9_-]{16,200}$/', $token ) ) {
			self::finish( 'error', 'ok' === $answer['result'] ? __( 'AgentDesk answered without a token. Click "Connect to AgentDesk" again.', 'agentdesk-chatbot' ) : AgentDesk_API::explain( $answer ) );
		}
		$answers = $this->heartbeat->connect( $this->validator, $token );
		if ( null === $answers['heartbeat'] ) {
			self::finish( 'error', AgentDesk_API::explain( $answers['validation'] ) );
		}
		// Stored as WP-CLI does: the settings page's sanitize callback would check the token again.
		unregister_setting( AgentDesk_Admin::PAGE, 'agentdesk_api_token' );
		update_option( 'agentdesk_api_token', $token );
		if ( 'ok' !== $answers['heartbeat']['result'] ) {
			self::finish( 'error', AgentDesk_API::explain( $answers['heartbeat'] ) );
		}
		self::finish(
			'success',
			sprintf(
				/* translators: %s: the bot's name. */
				__( 'Connected to your AgentDesk bot "%s". The first heartbeat was received.', 'agentdesk-chatbot' ),
				$answers['validation']['bot']['name']
			)
		);
	}

	/**
	 * The Disconnect button: tells AgentDesk, then forgets the token.
	 */
	public function handle_disconnect() {
		self::require_manager();
		check_admin_referer( self::DISCONNECT_ACTION );
		if ( AgentDesk_API::token_locked() ) {
			self::finish( 'error', __( 'The token is set by AGENTDESK_API_TOKEN in wp-config.php: remove it there.', 'agentdesk-chatbot' ) );
		}
		$this->heartbeat->disconnect();
		self::finish( 'success', __( 'Disconnected from AgentDesk: the token is removed and nothing more is sent.', 'agentdesk-chatbot' ) );
	}

	/**
	 * The result of this user's last connect or disconnect, once, or null.
	 *
	 * @return array|null
	 */
	private static function take_result() {
		// phpcs:ignore WordPress.Security.NonceVerification.Recommended -- only decides whether to show a stored result.
		if ( ! isset( $_GET['agentdesk-connect'] ) ) {
			return null;
		}
		$key    = self::RESULT_META . get_current_blog_id();
		$result = get_user_meta( get_current_user_id(), $key, true );
		delete_user_meta( get_current_user_id(), $key );
		return is_array( $result ) && isset( $result['kind'], $result['message'] ) ? $result : null;
	}

	/**
	 * A button posting to admin-post.php with its nonce.
	 *
	 * @param string $action The admin-post.php action.
	 * @param string $label  The button's words.
	 * @param string $id     The button's id.
	 * @param string $type   primary or secondary.
	 */
	public static function button( $action, $label, $id, $type = 'primary' ) {
		echo '<form action="' . esc_url( admin_url( 'admin-post.php' ) ) . '" method="post" class="agentdesk-inline-form" style="display:inline-block;margin-right:8px">';
		echo '<input type="hidden" name="action" value="' . esc_attr( $action ) . '" />';
		wp_nonce_field( $action );
		submit_button( $label, $type, $id, false );
		echo '</form>';
	}

	/**
	 * The settings page's part: the connect result, the copy warning, and Connect or Disconnect.
	 */
	public function render_buttons() {
		$result = self::take_result();
		if ( null !== $result ) {
			printf(
				'<div id="agentdesk-connect-result" class="notice %1$s"><p>%2$s</p></div>',
				esc_attr( 'success' === $result['kind'] ? 'notice-success' : 'notice-error' ),
				esc_html( $result['message'] )
			);
		}
		if ( AgentDesk_API::token_locked() ) {
			return;
		}
		$copy_of = self::copy_of();
		echo '<div id="agentdesk-connect" style="margin:1em 0">';
		if ( '' !== $copy_of ) {
			echo '<p id="agentdesk-copy"><strong>' . esc_html( self::copy_message( $copy_of ) ) . '</strong></p>';
			self::button( self::START_ACTION, __( 'Connect this site as its own site', 'agentdesk-chatbot' ), 'agentdesk-connect-button' );
		} elseif ( '' === $this->api->token() ) {
			echo '<p>' . esc_html__( 'Connect this site with one click: log in to AgentDesk, choose a bot (or create one named after this site) and approve. No token to copy.', 'agentdesk-chatbot' ) . '</p>';
			self::button( self::START_ACTION, __( 'Connect to AgentDesk', 'agentdesk-chatbot' ), 'agentdesk-connect-button' );
		}
		if ( '' !== $this->api->token() ) {
			self::button( self::DISCONNECT_ACTION, __( 'Disconnect', 'agentdesk-chatbot' ), 'agentdesk-disconnect-button', 'secondary' );
		}
		echo '</div>';
	}

	/**
	 * What a copy of a site is told.
	 *
	 * @param string $original The address the site was connected on.
	 * @return string
	 */
	public static function copy_message( $original ) {
		return sprintf(
			/* translators: %s: the address of the site this one was copied from. */
			__( 'This looks like a copy of %s: connect it as its own site, or keep it silent. Nothing is sent to AgentDesk from this copy.', 'agentdesk-chatbot' ),
			$original
		);
	}
}
