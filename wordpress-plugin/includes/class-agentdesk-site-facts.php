<?php
/**
 * The site-health facts a heartbeat carries since version 1.2 of its body: PHP version, how
 * WP-Cron runs, the environment type and whether the site is part of a network.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Reads the facts. Nothing personal: no user, content, visitor, path, plugin list or setting
 * value beyond the ones named here (docs/wordpress-plugin.md, "What is sent, and when").
 */
class AgentDesk_Site_Facts {

	/** An event due for longer than this counts as overdue: WP-Cron on visits is often minutes late. */
	const OVERDUE_AFTER = 600;

	/** With DISABLE_WP_CRON, due events this old mean nothing runs them: cron is disabled, not system. */
	const DISABLED_AFTER = 3600;

	/**
	 * The four facts, as the heartbeat body's fields.
	 *
	 * @return array{php_version: string, cron: array, environment: string, multisite: bool}
	 */
	public static function collect() {
		return array(
			'php_version' => self::php_version(),
			'cron'        => self::cron( self::due_timestamps(), time() ),
			'environment' => function_exists( 'wp_get_environment_type' ) ? wp_get_environment_type() : 'production',
			'multisite'   => is_multisite(),
		);
	}

	/**
	 * The PHP version as major.minor.release: PHP_VERSION may carry a distribution's suffix
	 * (such as "-1ubuntu2.14") that says nothing more and would not pass the service's check.
	 *
	 * @return string
	 */
	public static function php_version() {
		return PHP_MAJOR_VERSION . '.' . PHP_MINOR_VERSION . '.' . PHP_RELEASE_VERSION;
	}

	/**
	 * How WP-Cron runs, and how late its events are.
	 *
	 * - "alternate": ALTERNATE_WP_CRON (runs on visits, through a redirect);
	 * - "system": DISABLE_WP_CRON, and something (a system cron) still runs due events;
	 * - "disabled": DISABLE_WP_CRON, and an event has waited for more than an hour;
	 * - "wp-cron": the default, events run when the site is visited.
	 *
	 * @param int[] $due One timestamp per event that is due (may repeat).
	 * @param int   $now The current time.
	 * @return array{mode: string, overdue_events: int, oldest_overdue_seconds: int}
	 */
	public static function cron( $due, $now ) {
		$overdue = 0;
		$oldest  = 0;
		foreach ( $due as $timestamp ) {
			$late = $now - (int) $timestamp;
			if ( $late > self::OVERDUE_AFTER ) {
				++$overdue;
				$oldest = max( $oldest, $late );
			}
		}
		if ( defined( 'DISABLE_WP_CRON' ) && DISABLE_WP_CRON ) {
			$mode = $oldest > self::DISABLED_AFTER ? 'disabled' : 'system';
		} elseif ( defined( 'ALTERNATE_WP_CRON' ) && ALTERNATE_WP_CRON ) {
			$mode = 'alternate';
		} else {
			$mode = 'wp-cron';
		}
		return array(
			'mode'                   => $mode,
			'overdue_events'         => $overdue,
			'oldest_overdue_seconds' => $oldest,
		);
	}

	/**
	 * One timestamp per scheduled event that is due now (the hooks' names are not sent).
	 *
	 * @return int[]
	 */
	private static function due_timestamps() {
		$ready = function_exists( 'wp_get_ready_cron_jobs' ) ? wp_get_ready_cron_jobs() : array();
		$due   = array();
		foreach ( (array) $ready as $timestamp => $hooks ) {
			foreach ( (array) $hooks as $events ) {
				foreach ( (array) $events as $event ) {
					$due[] = (int) $timestamp;
				}
			}
		}
		return $due;
	}
}
