<?php
/**
 * The heartbeat: every five minutes WP-Cron tells AgentDesk that the plugin is installed and active.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Schedules, sends and records heartbeats.
 *
 * Privacy: a heartbeat carries the site URL, plugin version, WordPress version and active flag,
 * and since 1.2 the site-health facts of AgentDesk_Site_Facts (PHP version, how WP-Cron runs, the
 * environment type, multisite); nothing about users, content or visitors.
 */
class AgentDesk_Heartbeat {

	/** The cron hook (kept from 1.0 so existing schedules stay valid). */
	const HOOK = 'agentdesk_heartbeat_event';

	/** The custom cron schedule. */
	const SCHEDULE = 'agentdesk_five_minutes';

	/** Seconds between heartbeats. */
	const INTERVAL = 300;

	/** Option: the last answer, for the settings page. */
	const RESULT_OPTION = 'agentdesk_heartbeat_result';

	/** Option: why heartbeats are paused (invalid_token or bot_disabled), absent when they are not. */
	const PAUSED_OPTION = 'agentdesk_paused';

	/** Transient: set while a Retry-After answer asks the plugin to wait. */
	const RETRY_TRANSIENT = 'agentdesk_retry_until';

	/**
	 * The API client.
	 *
	 * @var AgentDesk_API
	 */
	private $api;

	/**
	 * Builds the heartbeat.
	 *
	 * @param AgentDesk_API $api The API client.
	 */
	public function __construct( AgentDesk_API $api ) {
		$this->api = $api;
	}

	/**
	 * Hooks the schedule, the cron event and the scheduling check.
	 */
	public function register() {
		$this->register_schedule();
		add_action( self::HOOK, array( $this, 'run_scheduled' ) );
		add_action( 'init', array( $this, 'maybe_schedule' ) );
	}

	/**
	 * Adds the five-minute schedule to WP-Cron.
	 */
	public function register_schedule() {
		if ( ! has_filter( 'cron_schedules', array( $this, 'add_schedule' ) ) ) {
			// phpcs:ignore WordPress.WP.CronInterval.ChangeDetected -- five minutes (add_schedule) is the heartbeat's contract with AgentDesk.
			add_filter( 'cron_schedules', array( $this, 'add_schedule' ) );
		}
	}

	/**
	 * The cron_schedules filter.
	 *
	 * @param array $schedules The schedules WordPress knows.
	 * @return array
	 */
	public function add_schedule( $schedules ) {
		$schedules[ self::SCHEDULE ] = array(
			'interval' => self::INTERVAL,
			'display'  => __( 'Every five minutes (AgentDesk heartbeat)', 'agentdesk-chatbot' ),
		);
		return $schedules;
	}

	/**
	 * Schedules the heartbeat when a token is saved, heartbeats are not paused, and it is not yet
	 * scheduled (also covers sites upgrading from 1.0, where no activation hook runs).
	 */
	public function maybe_schedule() {
		if ( '' === $this->api->token() || get_option( self::PAUSED_OPTION ) ) {
			return;
		}
		if ( ! wp_next_scheduled( self::HOOK ) ) {
			wp_schedule_event( time() + self::INTERVAL, self::SCHEDULE, self::HOOK );
		}
	}

	/**
	 * Removes every scheduled heartbeat.
	 */
	public function unschedule() {
		wp_clear_scheduled_hook( self::HOOK );
	}

	/**
	 * The cron event. Sends nothing while paused (a rejected token or a disabled bot would only
	 * be rejected again) or while a Retry-After answer asks the plugin to wait.
	 */
	public function run_scheduled() {
		if ( '' === $this->api->token() || get_option( self::PAUSED_OPTION ) ) {
			$this->unschedule();
			return;
		}
		if ( false !== get_transient( self::RETRY_TRANSIENT ) ) {
			return;
		}
		$this->send( true );
	}

	/**
	 * Sends one heartbeat now and records its answer.
	 *
	 * @param bool        $is_active Whether the plugin is active (false only on deactivation).
	 * @param string|null $token     The token to send; the saved one when null.
	 * @param int         $timeout   Seconds.
	 * @return array An answer of AgentDesk_API::describe().
	 */
	public function send( $is_active = true, $token = null, $timeout = AgentDesk_API::TIMEOUT ) {
		$copy_of = AgentDesk_Connect::copy_of();
		if ( '' !== $copy_of ) {
			// A copy of the site (another address, or a staging copy) stays silent under the original's token.
			return array(
				'result'      => 'copy',
				'code'        => 0,
				'data'        => array(),
				'retry_after' => 0,
				'detail'      => $copy_of,
			);
		}
		$token  = null === $token ? $this->api->token() : $token;
		$body   = array(
			'site_url'       => home_url(),
			'plugin_version' => AGENTDESK_VERSION,
			'wp_version'     => get_bloginfo( 'version' ),
			'is_active'      => (bool) $is_active,
		) + AgentDesk_Site_Facts::collect();
		$answer = $this->api->post( '/bots/wordpress-heartbeat', $token, $body, $timeout );
		$this->record( $answer );
		return $answer;
	}

	/**
	 * Stores an answer for the settings page and acts on it: 401/403 pause the heartbeat (and
	 * the admin notice explains why), 429/503 wait as long as Retry-After asks.
	 *
	 * @param array $answer An answer of AgentDesk_API::describe().
	 */
	public function record( $answer ) {
		update_option(
			self::RESULT_OPTION,
			array(
				'result'      => $answer['result'],
				'code'        => $answer['code'],
				'time'        => time(),
				'retry_after' => $answer['retry_after'],
				'detail'      => $answer['detail'],
			),
			false
		);

		switch ( $answer['result'] ) {
			case 'ok':
				// The seed's option: local time of the last accepted heartbeat.
				update_option( 'agentdesk_last_heartbeat', current_time( 'mysql' ) );
				// What AgentDesk says needs this site's care, if its answer says (Site Health, settings, WP-CLI).
				AgentDesk_Attention::store( $answer['data'] );
				if ( false !== get_option( self::PAUSED_OPTION ) ) {
					delete_option( self::PAUSED_OPTION );
				}
				if ( false !== get_transient( self::RETRY_TRANSIENT ) ) {
					delete_transient( self::RETRY_TRANSIENT );
				}
				break;
			case 'invalid_token':
			case 'bot_disabled':
				update_option( self::PAUSED_OPTION, $answer['result'], false );
				$this->unschedule();
				break;
			case 'rate_limited':
			case 'unavailable':
				if ( $answer['retry_after'] > 0 ) {
					set_transient( self::RETRY_TRANSIENT, time() + $answer['retry_after'], $answer['retry_after'] );
				}
				break;
		}
	}

	/**
	 * Activation: a saved token resumes the heartbeat at once, so AgentDesk sees the site again.
	 * Network activation does so on every site of the network.
	 *
	 * @param bool $network_wide Whether the plugin is network-activated.
	 */
	public function on_activation( $network_wide = false ) {
		$this->register_schedule();
		self::for_each_site( $network_wide, array( $this, 'activate_site' ) );
	}

	/**
	 * Activation on the current site.
	 */
	public function activate_site() {
		if ( '' === $this->api->token() || get_option( self::PAUSED_OPTION ) ) {
			return;
		}
		$this->send( true );
		$this->maybe_schedule();
	}

	/**
	 * Deactivation: clears the event and sends a final heartbeat with is_active false, so
	 * AgentDesk shows "deactivated" rather than, later, "stale". Network deactivation does so on
	 * every site of the network.
	 *
	 * @param bool $network_wide Whether the plugin is network-deactivated.
	 */
	public function on_deactivation( $network_wide = false ) {
		self::for_each_site( $network_wide, array( $this, 'deactivate_site' ) );
	}

	/**
	 * Deactivation on the current site.
	 */
	public function deactivate_site() {
		$this->unschedule();
		if ( '' === $this->api->token() || get_option( self::PAUSED_OPTION ) ) {
			return;
		}
		$this->send( false, null, 3 );
	}

	/**
	 * Runs a callback on the current site, or on every site of the network when network-wide,
	 * a page of sites at a time so a large network is covered whole without loading it at once.
	 *
	 * @param bool     $network_wide Whether to cover every site.
	 * @param callable $callback     Called with no arguments, once per site.
	 */
	public static function for_each_site( $network_wide, $callback ) {
		if ( ! $network_wide || ! is_multisite() ) {
			call_user_func( $callback );
			return;
		}
		$page = 100;
		for ( $offset = 0; ; $offset += $page ) {
			$ids = get_sites(
				array(
					'fields' => 'ids',
					'number' => $page,
					'offset' => $offset,
				)
			);
			foreach ( $ids as $id ) {
				switch_to_blog( $id );
				call_user_func( $callback );
				restore_current_blog();
			}
			if ( count( $ids ) < $page ) {
				return;
			}
		}
	}

	/**
	 * Connects the site with a token: checks it with AgentDesk, and when it is good stores the
	 * bot's public fields, lifts a pause, sends a heartbeat at once and schedules the next ones.
	 * The caller stores the token itself (the Settings API saves it; WP-CLI updates the option).
	 *
	 * @param AgentDesk_Validator $validator The token validator.
	 * @param string              $token     The token.
	 * @return array{validation: array, heartbeat: array|null} The two answers (heartbeat null when validation failed).
	 */
	public function connect( AgentDesk_Validator $validator, $token ) {
		$validation = $validator->validate_token( $token );
		if ( 'ok' !== $validation['result'] ) {
			return array(
				'validation' => $validation,
				'heartbeat'  => null,
			);
		}
		update_option( 'agentdesk_bot', $validation['bot'] );
		AgentDesk_Connect::remember_site();
		delete_option( self::PAUSED_OPTION );
		delete_transient( self::RETRY_TRANSIENT );
		$heartbeat = $this->send( true, $token );
		if ( ! wp_next_scheduled( self::HOOK ) && ! get_option( self::PAUSED_OPTION ) ) {
			wp_schedule_event( time() + self::INTERVAL, self::SCHEDULE, self::HOOK );
		}
		return array(
			'validation' => $validation,
			'heartbeat'  => $heartbeat,
		);
	}

	/**
	 * Disconnects the site: tells AgentDesk (POST /bots/wordpress-disconnect, when it would be
	 * accepted and this is not a copy of another site), then the saved token, bot and state are
	 * removed and the event cleared.
	 *
	 * @return array|null AgentDesk's answer, or null when nothing was sent.
	 */
	public function disconnect() {
		$this->unschedule();
		$answer = null;
		$token  = $this->api->token();
		if ( '' !== $token && ! get_option( self::PAUSED_OPTION ) && '' === AgentDesk_Connect::copy_of() ) {
			$answer = $this->api->post( '/bots/wordpress-disconnect', $token, null, 3 );
		}
		foreach ( array( 'agentdesk_api_token', 'agentdesk_bot', self::PAUSED_OPTION, self::RESULT_OPTION, 'agentdesk_last_heartbeat', AgentDesk_Attention::OPTION ) as $option ) {
			delete_option( $option );
		}
		AgentDesk_Connect::forget_site();
		delete_transient( self::RETRY_TRANSIENT );
		return $answer;
	}

	/**
	 * Seconds the next heartbeat event is late (0 when on time or not scheduled). WP-Cron runs
	 * events on page loads; a few minutes late is normal, so only a delay over one interval counts.
	 *
	 * @return int
	 */
	public static function overdue_seconds() {
		$next = wp_next_scheduled( self::HOOK );
		if ( ! $next ) {
			return 0;
		}
		$late = time() - (int) $next;
		return $late > self::INTERVAL ? $late : 0;
	}

	/**
	 * The last recorded answer, or null.
	 *
	 * @return array|null
	 */
	public static function last_result() {
		$result = get_option( self::RESULT_OPTION );
		return is_array( $result ) && isset( $result['result'] ) ? $result : null;
	}
}
