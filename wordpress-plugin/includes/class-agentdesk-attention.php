<?php
/**
 * What AgentDesk says needs this site's care: the attention items and the plugin release AgentDesk
 * serves, as the answer to the last accepted heartbeat carried them (an AgentDesk service that
 * sends neither leaves nothing stored). Shown in Site Health, on the settings page and by
 * `wp agentdesk status`; read from the stored option only, never fetched on a page load.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Stores and reads the attention items of the last heartbeat answer.
 */
class AgentDesk_Attention {

	/** Option: array( 'items' => list of kind/detail/next_step, 'latest_plugin_version' => string, 'time' => int ). */
	const OPTION = 'agentdesk_attention';

	/** At most this many items are kept (AgentDesk has six kinds). */
	const MAX_ITEMS = 20;

	/** Each text is cut to this many characters. */
	const MAX_TEXT = 500;

	/**
	 * Keeps what an accepted heartbeat's answer says; an answer without the fields (an older
	 * AgentDesk) removes what an earlier one said, so nothing stale is shown.
	 *
	 * @param mixed $data The decoded JSON answer.
	 */
	public static function store( $data ) {
		if ( ! is_array( $data ) || ! isset( $data['attention'] ) || ! is_array( $data['attention'] ) ) {
			if ( false !== get_option( self::OPTION ) ) {
				delete_option( self::OPTION );
			}
			return;
		}
		$items = array();
		foreach ( array_slice( $data['attention'], 0, self::MAX_ITEMS ) as $item ) {
			if ( ! is_array( $item ) || ! isset( $item['kind'], $item['detail'], $item['next_step'] ) ) {
				continue;
			}
			$items[] = array(
				'kind'      => sanitize_key( (string) $item['kind'] ),
				'detail'    => self::text( $item['detail'] ),
				'next_step' => self::text( $item['next_step'] ),
			);
		}
		$latest = isset( $data['latest_plugin_version'] ) && is_string( $data['latest_plugin_version'] ) && preg_match( '/^[0-9A-Za-z.+-]{1,32}$/', $data['latest_plugin_version'] )
			? $data['latest_plugin_version']
			: '';
		update_option(
			self::OPTION,
			array(
				'items'                 => $items,
				'latest_plugin_version' => $latest,
				'time'                  => time(),
			),
			false
		);
	}

	/**
	 * One line of plain text from the answer.
	 *
	 * @param mixed $value A value of the answer.
	 * @return string
	 */
	private static function text( $value ) {
		return substr( sanitize_text_field( is_string( $value ) ? $value : '' ), 0, self::MAX_TEXT );
	}

	/**
	 * What is stored, or null when AgentDesk has not said (no heartbeat accepted yet, or an older service).
	 *
	 * @return array|null
	 */
	public static function stored() {
		$stored = get_option( self::OPTION );
		return is_array( $stored ) && isset( $stored['items'] ) && is_array( $stored['items'] ) ? $stored : null;
	}

	/**
	 * The items AgentDesk listed for this site (empty when none, or when it has not said).
	 *
	 * @return array List of kind/detail/next_step.
	 */
	public static function items() {
		$stored = self::stored();
		return null === $stored ? array() : $stored['items'];
	}

	/**
	 * The plugin release AgentDesk serves when it is newer than this plugin, else ''.
	 *
	 * @return string
	 */
	public static function newer_release() {
		$stored = self::stored();
		$latest = null === $stored ? '' : (string) $stored['latest_plugin_version'];
		return '' !== $latest && version_compare( $latest, AGENTDESK_VERSION, '>' ) ? $latest : '';
	}

	/**
	 * The items as an HTML list (escaped), or '' when there are none.
	 *
	 * @return string
	 */
	public static function html_list() {
		$items = self::items();
		if ( array() === $items ) {
			return '';
		}
		$html = '<ul class="agentdesk-attention">';
		foreach ( $items as $item ) {
			$html .= '<li data-kind="' . esc_attr( $item['kind'] ) . '"><strong>' . esc_html( $item['detail'] ) . '</strong> ' . esc_html( $item['next_step'] ) . '</li>';
		}
		return $html . '</ul>';
	}

	/**
	 * Plain-text lines for WP-CLI: one per item, and the newer release if any.
	 *
	 * @return string[]
	 */
	public static function lines() {
		$stored = self::stored();
		if ( null === $stored ) {
			return array( 'Needs attention: unknown (no answer from AgentDesk that lists it yet)' );
		}
		$lines = array();
		$newer = self::newer_release();
		$lines[] = 'Plugin release: ' . ( '' !== $newer ? $newer . ' is available (this site runs ' . AGENTDESK_VERSION . ')' : AGENTDESK_VERSION . ' (up to date)' );
		if ( array() === $stored['items'] ) {
			$lines[] = 'Needs attention: nothing';
			return $lines;
		}
		$lines[] = 'Needs attention: ' . count( $stored['items'] );
		foreach ( $stored['items'] as $item ) {
			$lines[] = '  - [' . $item['kind'] . '] ' . $item['detail'];
			$lines[] = '    Next step: ' . $item['next_step'];
		}
		return $lines;
	}
}
