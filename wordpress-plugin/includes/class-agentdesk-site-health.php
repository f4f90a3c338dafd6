<?php
/**
 * Tools → Site Health: a test of the connection to AgentDesk, and the plugin's debug information.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The site_status_tests and debug_information filters. Both only read stored state: Site Health
 * pages never wait on the service.
 */
class AgentDesk_Site_Health {

	/** A successful heartbeat older than this (seconds) means the site looks stale to AgentDesk. */
	const STALE_AFTER = 900;

	/**
	 * The API client.
	 *
	 * @var AgentDesk_API
	 */
	private $api;

	/**
	 * Builds the Site Health parts.
	 *
	 * @param AgentDesk_API $api The API client.
	 */
	public function __construct( AgentDesk_API $api ) {
		$this->api = $api;
	}

	/**
	 * Hooks both filters.
	 */
	public function register() {
		add_filter( 'site_status_tests', array( $this, 'add_test' ) );
		add_filter( 'debug_information', array( $this, 'debug_information' ) );
	}

	/**
	 * The site_status_tests filter.
	 *
	 * @param array $tests The tests.
	 * @return array
	 */
	public function add_test( $tests ) {
		$tests['direct']['agentdesk_connection'] = array(
			'label' => __( 'AgentDesk connection', 'agentdesk-chatbot' ),
			'test'  => array( $this, 'run_test' ),
		);
		$tests['direct']['agentdesk_attention'] = array(
			'label' => __( 'AgentDesk: what needs attention', 'agentdesk-chatbot' ),
			'test'  => array( $this, 'run_attention_test' ),
		);
		return $tests;
	}

	/**
	 * The test: token saved, heartbeats not paused, the last one accepted and recent, WP-Cron running.
	 *
	 * @return array The Site Health result.
	 */
	public function run_test() {
		$settings = '<p><a href="' . esc_url( admin_url( 'options-general.php?page=agentdesk' ) ) . '">' . esc_html__( 'Open the AgentDesk settings', 'agentdesk-chatbot' ) . '</a></p>';
		$result   = function ( $status, $label, $description ) use ( $settings ) {
			return array(
				'label'       => $label,
				'status'      => $status,
				'badge'       => array(
					'label' => __( 'AgentDesk', 'agentdesk-chatbot' ),
					'color' => 'good' === $status ? 'blue' : 'orange',
				),
				'description' => '<p>' . esc_html( $description ) . '</p>',
				'actions'     => $settings,
				'test'        => 'agentdesk_connection',
			);
		};

		if ( '' === $this->api->token() ) {
			return $result( 'recommended', __( 'AgentDesk is not connected', 'agentdesk-chatbot' ), __( 'No bot API token is saved, so the chat bot is not shown and AgentDesk does not know this site.', 'agentdesk-chatbot' ) );
		}
		$paused = get_option( AgentDesk_Heartbeat::PAUSED_OPTION );
		if ( is_string( $paused ) && '' !== $paused ) {
			return $result( 'critical', __( 'AgentDesk heartbeats are paused', 'agentdesk-chatbot' ), AgentDesk_API::explain( array( 'result' => $paused ) ) );
		}
		$overdue = AgentDesk_Heartbeat::overdue_seconds();
		if ( $overdue > 0 || ! wp_next_scheduled( AgentDesk_Heartbeat::HOOK ) ) {
			$late = $overdue > 0
				/* translators: %s: a duration such as "2 hours". */
				? sprintf( __( 'The AgentDesk heartbeat is overdue by %s.', 'agentdesk-chatbot' ), human_time_diff( time() - $overdue ) )
				: __( 'The AgentDesk heartbeat is not scheduled.', 'agentdesk-chatbot' );
			return $result( 'critical', __( 'WP-Cron is not running the AgentDesk heartbeat', 'agentdesk-chatbot' ), $late . ' ' . AgentDesk_Admin::cron_advice() );
		}
		$last = AgentDesk_Heartbeat::last_result();
		if ( null !== $last && 'ok' !== $last['result'] ) {
			return $result( 'recommended', __( 'The last AgentDesk heartbeat failed', 'agentdesk-chatbot' ), AgentDesk_API::explain( $last ) );
		}
		$ok_at = self::last_ok_time();
		if ( 0 === $ok_at || time() - $ok_at > self::STALE_AFTER ) {
			$description = 0 === $ok_at
				? __( 'AgentDesk has not accepted a heartbeat from this site yet.', 'agentdesk-chatbot' )
				/* translators: %s: a duration such as "3 hours". */
				: sprintf( __( 'The last heartbeat AgentDesk accepted was %s ago, so AgentDesk shows this site as stale.', 'agentdesk-chatbot' ), human_time_diff( $ok_at ) );
			return $result( 'recommended', __( 'AgentDesk has not heard from this site recently', 'agentdesk-chatbot' ), $description );
		}
		return $result(
			'good',
			__( 'AgentDesk is connected', 'agentdesk-chatbot' ),
			/* translators: %s: a duration such as "3 mins". */
			sprintf( __( 'The last heartbeat was accepted %s ago.', 'agentdesk-chatbot' ), human_time_diff( $ok_at ) )
		);
	}

	/**
	 * The attention items AgentDesk's last heartbeat answer listed (outdated plugin, WordPress or
	 * PHP, WP-Cron problems, not production), and a newer plugin release; the same items as the
	 * AgentDesk dashboard and the settings page.
	 *
	 * @return array The Site Health result.
	 */
	public function run_attention_test() {
		$items  = AgentDesk_Attention::items();
		$newer  = AgentDesk_Attention::newer_release();
		$result = array(
			'label'       => __( 'AgentDesk sees nothing that needs attention', 'agentdesk-chatbot' ),
			'status'      => 'good',
			'badge'       => array(
				'label' => __( 'AgentDesk', 'agentdesk-chatbot' ),
				'color' => 'blue',
			),
			'description' => '<p>' . esc_html__( 'The last heartbeat answer from AgentDesk listed nothing for this site.', 'agentdesk-chatbot' ) . '</p>',
			'actions'     => '<p><a href="' . esc_url( admin_url( 'options-general.php?page=agentdesk' ) ) . '">' . esc_html__( 'Open the AgentDesk settings', 'agentdesk-chatbot' ) . '</a></p>',
			'test'        => 'agentdesk_attention',
		);
		if ( null === AgentDesk_Attention::stored() ) {
			$result['description'] = '<p>' . esc_html__( 'AgentDesk has not listed what needs attention for this site yet (no heartbeat answer that carries it).', 'agentdesk-chatbot' ) . '</p>';
			return $result;
		}
		if ( array() === $items && '' === $newer ) {
			return $result;
		}
		$result['status']         = 'recommended';
		$result['badge']['color'] = 'orange';
		$result['label']          = array() === $items
			? __( 'A newer AgentDesk plugin is available', 'agentdesk-chatbot' )
			/* translators: %d: how many items. */
			: sprintf( _n( 'AgentDesk lists %d thing that needs attention', 'AgentDesk lists %d things that need attention', count( $items ), 'agentdesk-chatbot' ), count( $items ) );
		$description = AgentDesk_Attention::html_list();
		if ( '' !== $newer ) {
			/* translators: 1: the newer version, 2: this plugin's version. */
			$description = '<p>' . esc_html( sprintf( __( 'AgentDesk plugin %1$s is available; this site runs %2$s.', 'agentdesk-chatbot' ), $newer, AGENTDESK_VERSION ) ) . '</p>' . $description;
		}
		$result['description'] = $description;
		return $result;
	}

	/**
	 * When AgentDesk last accepted a heartbeat (Unix time), 0 if never.
	 *
	 * @return int
	 */
	private static function last_ok_time() {
		$ok_at = get_option( 'agentdesk_last_heartbeat' );
		return is_string( $ok_at ) && '' !== $ok_at ? (int) get_gmt_from_date( $ok_at, 'U' ) : 0;
	}

	/**
	 * The debug_information filter: the plugin's settings and state, the token only by its prefix.
	 *
	 * @param array $info The sections.
	 * @return array
	 */
	public function debug_information( $info ) {
		$token  = $this->api->token();
		$last   = AgentDesk_Heartbeat::last_result();
		$next   = wp_next_scheduled( AgentDesk_Heartbeat::HOOK );
		$paused = get_option( AgentDesk_Heartbeat::PAUSED_OPTION );
		$ok_at  = self::last_ok_time();
		$field  = function ( $label, $value ) {
			return array(
				'label' => $label,
				'value' => $value,
			);
		};

		$info['agentdesk-chatbot'] = array(
			'label'  => __( 'AgentDesk Chatbot', 'agentdesk-chatbot' ),
			'fields' => array(
				'version'        => $field( __( 'Plugin version', 'agentdesk-chatbot' ), AGENTDESK_VERSION ),
				'api_url'        => $field( __( 'API URL', 'agentdesk-chatbot' ), $this->api->base_url() . ( defined( 'AGENTDESK_API_URL_FROM_CONFIG' ) ? ' (wp-config.php)' : '' ) ),
				'token'          => $field( __( 'Bot API token', 'agentdesk-chatbot' ), '' === $token ? __( 'none', 'agentdesk-chatbot' ) : substr( $token, 0, 8 ) . '…' . ( AgentDesk_API::token_locked() ? ' (wp-config.php)' : '' ) ),
				'paused'         => $field( __( 'Heartbeats paused', 'agentdesk-chatbot' ), is_string( $paused ) && '' !== $paused ? $paused : __( 'no', 'agentdesk-chatbot' ) ),
				'last_heartbeat' => $field( __( 'Last accepted heartbeat', 'agentdesk-chatbot' ), 0 === $ok_at ? __( 'never', 'agentdesk-chatbot' ) : gmdate( 'c', $ok_at ) ),
				'last_result'    => $field( __( 'Last attempt', 'agentdesk-chatbot' ), null === $last ? __( 'none', 'agentdesk-chatbot' ) : sprintf( '%s (HTTP %d) %s', $last['result'], (int) $last['code'], gmdate( 'c', (int) $last['time'] ) ) ),
				'next_event'     => $field( __( 'Next heartbeat event', 'agentdesk-chatbot' ), $next ? gmdate( 'c', (int) $next ) : __( 'not scheduled', 'agentdesk-chatbot' ) ),
				'attention'      => $field( __( 'Needs attention', 'agentdesk-chatbot' ), implode( ', ', wp_list_pluck( AgentDesk_Attention::items(), 'kind' ) ) ),
				'wp_cron'        => $field( __( 'WP-Cron', 'agentdesk-chatbot' ), defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ? __( 'disabled (DISABLE_WP_CRON)', 'agentdesk-chatbot' ) : __( 'enabled', 'agentdesk-chatbot' ) ),
			),
		);
		return $info;
	}
}
