<?php
/**
 * WP-CLI: wp agentdesk status | connect <token> | heartbeat | maintenance <minutes>|end | disconnect.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Manages the site's connection to AgentDesk from the command line.
 */
class AgentDesk_CLI {

	/**
	 * AgentDesk accepts maintenance windows of at most 7 days.
	 */
	const MAX_MAINTENANCE_MINUTES = 10080;

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
	 * Builds the command.
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
	 * Shows the connection: token (by prefix), API URL, last heartbeat and next event; then what
	 * AgentDesk's last answer said needs this site's care, and a newer plugin release if it serves one.
	 *
	 * ## EXAMPLES
	 *
	 *     wp agentdesk status
	 */
	public function status() {
		$token  = $this->api->token();
		$last   = AgentDesk_Heartbeat::last_result();
		$paused = get_option( AgentDesk_Heartbeat::PAUSED_OPTION );
		$next   = wp_next_scheduled( AgentDesk_Heartbeat::HOOK );
		$ok_at  = get_option( 'agentdesk_last_heartbeat' );
		$lines  = array(
			'API URL: ' . $this->api->base_url(),
			'Token: ' . ( '' === $token ? 'none' : substr( $token, 0, 8 ) . '…' . ( AgentDesk_API::token_locked() ? ' (AGENTDESK_API_TOKEN)' : '' ) ),
			'Paused: ' . ( is_string( $paused ) && '' !== $paused ? $paused : 'no' ),
			'Last accepted heartbeat: ' . ( is_string( $ok_at ) && '' !== $ok_at ? $ok_at : 'never' ),
			'Last attempt: ' . ( null === $last ? 'none' : $last['result'] . ' (HTTP ' . (int) $last['code'] . ')' ),
			'Next heartbeat: ' . ( $next ? gmdate( 'Y-m-d H:i:s', (int) $next ) . ' UTC' . ( AgentDesk_Heartbeat::overdue_seconds() > 0 ? ' (overdue)' : '' ) : 'not scheduled' ),
			'Copy of: ' . ( '' === AgentDesk_Connect::copy_of() ? 'no' : AgentDesk_Connect::copy_of() . ' (nothing is sent)' ),
		);
		foreach ( array_merge( $lines, AgentDesk_Attention::lines() ) as $line ) {
			WP_CLI::line( $line );
		}
	}

	/**
	 * Checks a bot API token with AgentDesk, saves it and sends a first heartbeat.
	 *
	 * ## OPTIONS
	 *
	 * <token>
	 * : The bot API token from the AgentDesk dashboard.
	 *
	 * ## EXAMPLES
	 *
	 *     wp agentdesk connect bot_…
	 *
	 * @param array $args Positional arguments: the token.
	 */
	public function connect( $args ) {
		if ( AgentDesk_API::token_locked() ) {
			WP_CLI::error( 'The token is set by AGENTDESK_API_TOKEN in wp-config.php; change it there.' );
			return;
		}
		$token   = isset( $args[0] ) ? trim( (string) $args[0] ) : '';
		$answers = $this->heartbeat->connect( $this->validator, $token );
		if ( null === $answers['heartbeat'] ) {
			WP_CLI::error( AgentDesk_API::explain( $answers['validation'] ) . ' The token was not saved.' );
			return;
		}
		update_option( 'agentdesk_api_token', $token );
		if ( 'ok' !== $answers['heartbeat']['result'] ) {
			WP_CLI::warning( AgentDesk_API::explain( $answers['heartbeat'] ) );
		}
		WP_CLI::success( sprintf( 'Connected to the AgentDesk bot "%s".', $answers['validation']['bot']['name'] ) );
	}

	/**
	 * Sends a heartbeat now and prints AgentDesk's answer.
	 *
	 * ## EXAMPLES
	 *
	 *     wp agentdesk heartbeat
	 */
	public function heartbeat() {
		if ( '' === $this->api->token() ) {
			WP_CLI::error( 'No bot API token is saved: run `wp agentdesk connect <token>` first.' );
			return;
		}
		$answer = $this->heartbeat->send( true );
		if ( 'ok' !== $answer['result'] ) {
			WP_CLI::error( sprintf( 'HTTP %d: %s', (int) $answer['code'], AgentDesk_API::explain( $answer ) ) );
			return;
		}
		$this->heartbeat->maybe_schedule();
		WP_CLI::success( AgentDesk_API::explain( $answer ) );
	}

	/**
	 * Opens a maintenance window in AgentDesk for this site: no "site stopped reporting" alert
	 * until it ends (at most 7 days). A site still silent when it ends is alerted as usual.
	 * `end` ends the site's maintenance now (a one-off window, or this week's weekly one).
	 *
	 * ## OPTIONS
	 *
	 * <minutes>
	 * : Length of the window from now, in minutes (1 to 10080), or `end`.
	 *
	 * [--reason=<reason>]
	 * : Why, shown to the bot's owner.
	 *
	 * ## EXAMPLES
	 *
	 *     wp agentdesk maintenance 30 --reason="theme deploy"
	 *     wp agentdesk maintenance end
	 *
	 * @param array $args       Positional arguments: the minutes.
	 * @param array $assoc_args Named arguments: reason.
	 */
	public function maintenance( $args, $assoc_args = array() ) {
		$token = $this->api->token();
		if ( '' === $token ) {
			WP_CLI::error( 'No bot API token is saved: run `wp agentdesk connect <token>` first.' );
			return;
		}
		$minutes = isset( $args[0] ) ? trim( (string) $args[0] ) : '';
		if ( 'end' === $minutes ) {
			$this->end_maintenance( $token );
			return;
		}
		if ( ! ctype_digit( $minutes ) || (int) $minutes < 1 || (int) $minutes > self::MAX_MAINTENANCE_MINUTES ) {
			WP_CLI::error( sprintf( 'minutes must be a whole number from 1 to %d (7 days).', self::MAX_MAINTENANCE_MINUTES ) );
			return;
		}
		$body = array( 'minutes' => (int) $minutes );
		if ( isset( $assoc_args['reason'] ) && '' !== trim( (string) $assoc_args['reason'] ) ) {
			$body['reason'] = trim( (string) $assoc_args['reason'] );
		}
		$answer = $this->api->post( '/bots/wordpress-maintenance', $token, $body );
		if ( 'ok' !== $answer['result'] ) {
			$detail = 'rejected' === $answer['result'] && '' !== $answer['detail'] ? $answer['detail'] : AgentDesk_API::explain( $answer );
			WP_CLI::error( sprintf( 'HTTP %d: %s', (int) $answer['code'], $detail ) );
			return;
		}
		$until = isset( $answer['data']['until'] ) && is_string( $answer['data']['until'] ) ? AgentDesk_API::clip( $answer['data']['until'], 64 ) : '';
		WP_CLI::success( sprintf( 'Maintenance window open until %s: AgentDesk sends no stale alert for this site until then.', $until ) );
	}

	/**
	 * Ends this site's maintenance in AgentDesk now.
	 *
	 * @param string $token The bot API token.
	 */
	private function end_maintenance( $token ) {
		$answer = $this->api->post( '/bots/wordpress-maintenance/end', $token );
		if ( 'ok' !== $answer['result'] ) {
			WP_CLI::error( sprintf( 'HTTP %d: %s', (int) $answer['code'], AgentDesk_API::explain( $answer ) ) );
			return;
		}
		$message = isset( $answer['data']['message'] ) && is_string( $answer['data']['message'] ) ? AgentDesk_API::clip( $answer['data']['message'] ) : 'Maintenance ended.';
		WP_CLI::success( $message );
	}

	/**
	 * Tells AgentDesk the site disconnects, then forgets the token and stops the heartbeat.
	 *
	 * ## EXAMPLES
	 *
	 *     wp agentdesk disconnect
	 */
	public function disconnect() {
		if ( AgentDesk_API::token_locked() ) {
			WP_CLI::error( 'The token is set by AGENTDESK_API_TOKEN in wp-config.php; remove it there.' );
			return;
		}
		$answer = $this->heartbeat->disconnect();
		if ( null !== $answer && 'ok' !== $answer['result'] ) {
			WP_CLI::warning( 'AgentDesk was not told: ' . AgentDesk_API::explain( $answer ) );
		}
		WP_CLI::success( 'Disconnected from AgentDesk: the token is removed and no heartbeat is scheduled.' );
	}
}
