<?php
/**
 * Checks a bot API token with the service before the settings page stores it.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Token validation: POST /api/bots/validate with the token in X-Bot-Token.
 */
class AgentDesk_Validator {

	/**
	 * The API client.
	 *
	 * @var AgentDesk_API
	 */
	private $api;

	/**
	 * Builds the validator.
	 *
	 * @param AgentDesk_API $api The API client.
	 */
	public function __construct( AgentDesk_API $api ) {
		$this->api = $api;
	}

	/**
	 * Whether a token looks like a bot API token at all (bot_ followed by base64url text).
	 *
	 * @param string $token The token.
	 * @return bool
	 */
	public static function looks_valid( $token ) {
		return (bool) preg_match( '/^bot_[A-Za-z0-9_\-]{20,200}$/', $token );
	}

	/**
	 * Asks the service about a token.
	 *
	 * @param string $token The token.
	 * @return array An answer of AgentDesk_API::describe(); on success 'bot' holds the public bot fields.
	 */
	public function validate_token( $token ) {
		if ( ! self::looks_valid( $token ) ) {
			return array(
				'result'      => 'invalid_token',
				'code'        => 0,
				'data'        => array(),
				'retry_after' => 0,
				'detail'      => '',
			);
		}
		$answer = $this->api->post( '/bots/validate', $token );
		if ( 'ok' === $answer['result'] ) {
			$bot = isset( $answer['data']['bot'] ) && is_array( $answer['data']['bot'] ) ? $answer['data']['bot'] : array();
			if ( empty( $answer['data']['valid'] ) || empty( $bot['widget_key'] ) ) {
				$answer['result'] = 'rejected';
				$answer['detail'] = __( 'unexpected answer from the validation endpoint', 'agentdesk-chatbot' );
				return $answer;
			}
			// Keep only what the site needs: the public widget key and what the settings page shows.
			$answer['bot'] = array(
				'id'         => isset( $bot['id'] ) ? AgentDesk_API::clip( sanitize_text_field( (string) $bot['id'] ), 64 ) : '',
				'name'       => isset( $bot['name'] ) ? AgentDesk_API::clip( sanitize_text_field( (string) $bot['name'] ), 200 ) : '',
				'widget_key' => AgentDesk_API::clip( sanitize_text_field( (string) $bot['widget_key'] ), 200 ),
			);
		}
		return $answer;
	}
}
