<?php
/**
 * Embeds the AgentDesk chat launcher on the front end.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Enqueues the service's widget.js with the bot's public widget key. The secret API token never
 * reaches a public page: a token printed into HTML would be a leaked token.
 */
class AgentDesk_Widget {

	/** Script handle. */
	const HANDLE = 'agentdesk-widget';

	/**
	 * The API client.
	 *
	 * @var AgentDesk_API
	 */
	private $api;

	/**
	 * Builds the widget.
	 *
	 * @param AgentDesk_API $api The API client.
	 */
	public function __construct( AgentDesk_API $api ) {
		$this->api = $api;
	}

	/**
	 * Hooks the front-end enqueue.
	 */
	public function register() {
		add_action( 'wp_enqueue_scripts', array( $this, 'enqueue' ) );
	}

	/**
	 * The public widget key of the connected bot, or ''.
	 *
	 * @return string
	 */
	public static function widget_key() {
		$bot = get_option( 'agentdesk_bot' );
		$key = is_array( $bot ) && isset( $bot['widget_key'] ) ? (string) $bot['widget_key'] : '';
		return preg_match( '/^pub_[A-Za-z0-9_\-]{10,64}$/', $key ) ? $key : '';
	}

	/**
	 * Adds widget.js (in the footer) and its settings when a bot is connected.
	 */
	public function enqueue() {
		$key = self::widget_key();
		if ( '' === $key || '' === $this->api->token() ) {
			return;
		}
		/**
		 * Whether to show the AgentDesk chat launcher on this page.
		 *
		 * @param bool $show True by default.
		 */
		if ( ! apply_filters( 'agentdesk_show_widget', true ) ) {
			return;
		}
		wp_enqueue_script( self::HANDLE, $this->api->service_url() . '/widget.js', array(), AGENTDESK_VERSION, true );
		$settings = array(
			'widgetKey' => $key,
			'apiUrl'    => $this->api->base_url(),
		);
		wp_add_inline_script( self::HANDLE, 'window.agentdeskWidgetConfig = ' . wp_json_encode( $settings ) . ';', 'before' );
	}
}
