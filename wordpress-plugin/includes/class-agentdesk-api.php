<?php
/**
 * Talks to the AgentDesk service: where it is, how a call is made, and what its answer means.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The HTTP side of the plugin. Every call has a short timeout so that a slow or unreachable
 * service never makes an admin page or a cron run slow.
 */
class AgentDesk_API {

	/** Seconds a call to the service may take. */
	const TIMEOUT = 5;

	/** Longest pause a Retry-After answer may impose, in seconds. */
	const MAX_RETRY_AFTER = 3600;

	/**
	 * The API base URL without a trailing slash: wp-config.php's AGENTDESK_API_URL when it is set
	 * there, else the URL saved on the settings page, else the default.
	 *
	 * @return string
	 */
	public function base_url() {
		$saved = get_option( 'agentdesk_api_url', '' );
		if ( defined( 'AGENTDESK_API_URL_FROM_CONFIG' ) || ! is_string( $saved ) || '' === $saved ) {
			return untrailingslashit( AGENTDESK_API_URL );
		}
		return untrailingslashit( $saved );
	}

	/**
	 * Where the service serves its public files (the widget script): the API URL without "/api".
	 *
	 * @return string
	 */
	public function service_url() {
		return preg_replace( '#/api$#', '', $this->base_url() );
	}

	/**
	 * The service's host as WordPress's HTTP API compares it (lower case), '' when no URL is set.
	 *
	 * @return string
	 */
	public function service_host() {
		$host = wp_parse_url( $this->base_url(), PHP_URL_HOST );
		return is_string( $host ) ? strtolower( $host ) : '';
	}

	/**
	 * The service's port: the URL's own, else the scheme's default.
	 *
	 * @return int
	 */
	public function service_port() {
		$port = wp_parse_url( $this->base_url(), PHP_URL_PORT );
		if ( $port ) {
			return (int) $port;
		}
		return 'http' === wp_parse_url( $this->base_url(), PHP_URL_SCHEME ) ? 80 : 443;
	}

	/**
	 * The service's terms of use: AGENTDESK_TERMS_URL from wp-config.php, else its /terms page.
	 *
	 * @return string
	 */
	public function terms_url() {
		return defined( 'AGENTDESK_TERMS_URL' ) ? (string) AGENTDESK_TERMS_URL : ( '' === $this->service_url() ? '' : $this->service_url() . '/terms' );
	}

	/**
	 * The service's privacy policy: AGENTDESK_PRIVACY_URL from wp-config.php, else its /privacy page.
	 *
	 * @return string
	 */
	public function privacy_url() {
		return defined( 'AGENTDESK_PRIVACY_URL' ) ? (string) AGENTDESK_PRIVACY_URL : ( '' === $this->service_url() ? '' : $this->service_url() . '/privacy' );
	}

	/**
	 * Whether wp-config.php sets the token (AGENTDESK_API_TOKEN): then nothing else may change it.
	 *
	 * @return bool
	 */
	public static function token_locked() {
		return defined( 'AGENTDESK_API_TOKEN' ) && is_string( AGENTDESK_API_TOKEN ) && '' !== AGENTDESK_API_TOKEN;
	}

	/**
	 * The bot API token ('' when none): wp-config.php's AGENTDESK_API_TOKEN, else the saved one.
	 * No request leaves the site while this is '' (an admin saving a token is the consent).
	 *
	 * @return string
	 */
	public function token() {
		if ( self::token_locked() ) {
			return AGENTDESK_API_TOKEN;
		}
		$token = get_option( 'agentdesk_api_token', '' );
		return is_string( $token ) ? $token : '';
	}

	/**
	 * The answer given without a request when no API URL is known (a copy not built by a service).
	 *
	 * @return array{result: string, code: int, data: array, retry_after: int, detail: string}
	 */
	private static function not_configured() {
		return array(
			'result'      => 'not_configured',
			'code'        => 0,
			'data'        => array(),
			'retry_after' => 0,
			'detail'      => '',
		);
	}

	/**
	 * POSTs JSON to a path of the API and describes the answer.
	 *
	 * @param string     $path    Path below the API URL, such as '/bots/validate'.
	 * @param string     $token   Bot API token sent as X-Bot-Token.
	 * @param array|null $body    JSON body, or null for none.
	 * @param int        $timeout Seconds.
	 * @return array{result: string, code: int, data: array, retry_after: int, detail: string}
	 */
	public function post( $path, $token, $body = null, $timeout = self::TIMEOUT ) {
		if ( '' === $this->base_url() ) {
			return self::not_configured();
		}
		$args = array(
			'timeout'     => $timeout,
			'redirection' => 0,
			'user-agent'  => 'AgentDesk-Chatbot/' . AGENTDESK_VERSION,
			'headers'     => array(
				'X-Bot-Token'  => $token,
				'Accept'       => 'application/json',
				'Content-Type' => 'application/json',
			),
			'body'        => null === $body ? '{}' : wp_json_encode( $body ),
		);
		// wp_remote_post, not wp_safe_remote_post: a self-hosted AgentDesk may live on a private address.
		$response = wp_remote_post( $this->base_url() . $path, $args );
		return self::describe( $response );
	}

	/**
	 * GETs a path of the API and decodes its JSON.
	 *
	 * @param string $path Path below the API URL.
	 * @return array{result: string, code: int, data: array, retry_after: int, detail: string}
	 */
	public function get( $path ) {
		if ( '' === $this->base_url() ) {
			return self::not_configured();
		}
		$response = wp_remote_get(
			$this->base_url() . $path,
			array(
				'timeout'    => self::TIMEOUT,
				'user-agent' => 'AgentDesk-Chatbot/' . AGENTDESK_VERSION,
				'headers'    => array( 'Accept' => 'application/json' ),
			)
		);
		return self::describe( $response );
	}

	/**
	 * Turns a wp_remote_* answer into one of a few results the plugin acts on:
	 * ok, invalid_token (401), bot_disabled (403), rate_limited (429), unavailable (5xx),
	 * rejected (other 4xx) or unreachable (no answer at all).
	 *
	 * @param array|WP_Error $response The answer.
	 * @return array{result: string, code: int, data: array, retry_after: int, detail: string}
	 */
	public static function describe( $response ) {
		if ( is_wp_error( $response ) ) {
			return array(
				'result'      => 'unreachable',
				'code'        => 0,
				'data'        => array(),
				'retry_after' => 0,
				'detail'      => $response->get_error_message(),
			);
		}
		$code = (int) wp_remote_retrieve_response_code( $response );
		$data = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		$data = is_array( $data ) ? $data : array();

		if ( $code >= 200 && $code < 300 ) {
			$result = 'ok';
		} elseif ( 401 === $code ) {
			$result = 'invalid_token';
		} elseif ( 403 === $code ) {
			$result = 'bot_disabled';
		} elseif ( 429 === $code ) {
			$result = 'rate_limited';
		} elseif ( $code >= 500 ) {
			$result = 'unavailable';
		} else {
			$result = 'rejected';
		}

		return array(
			'result'      => $result,
			'code'        => $code,
			'data'        => $data,
			'retry_after' => self::parse_retry_after( wp_remote_retrieve_header( $response, 'retry-after' ) ),
			'detail'      => isset( $data['message'] ) && is_string( $data['message'] ) ? $data['message'] : '',
		);
	}

	/**
	 * Seconds to wait from a Retry-After header (delay-seconds or an HTTP date), 0 when absent,
	 * at most MAX_RETRY_AFTER.
	 *
	 * @param string|array $header The header value.
	 * @return int
	 */
	public static function parse_retry_after( $header ) {
		if ( is_array( $header ) ) {
			$header = reset( $header );
		}
		$header = trim( (string) $header );
		if ( '' === $header ) {
			return 0;
		}
		if ( ctype_digit( $header ) ) {
			$seconds = (int) $header;
		} else {
			$time    = strtotime( $header );
			$seconds = false === $time ? 0 : $time - time();
		}
		return max( 0, min( self::MAX_RETRY_AFTER, $seconds ) );
	}

	/**
	 * What a result means, in words a site owner understands.
	 *
	 * @param array $answer An answer from describe().
	 * @return string
	 */
	public static function explain( $answer ) {
		$result = isset( $answer['result'] ) ? $answer['result'] : '';
		switch ( $result ) {
			case 'ok':
				return __( 'Connected: AgentDesk received the heartbeat.', 'agentdesk-chatbot' );
			case 'invalid_token':
				return __( 'AgentDesk did not accept this API token. Copy the whole token from your AgentDesk dashboard (or create a new one there) and save it again.', 'agentdesk-chatbot' );
			case 'bot_disabled':
				return __( 'This bot is switched off in AgentDesk. Turn it back on in your AgentDesk dashboard, then save these settings again.', 'agentdesk-chatbot' );
			case 'rate_limited':
				return sprintf(
					/* translators: %s: a number of seconds. */
					__( 'AgentDesk asked this site to slow down. The plugin waits %s seconds before the next heartbeat.', 'agentdesk-chatbot' ),
					number_format_i18n( isset( $answer['retry_after'] ) ? (int) $answer['retry_after'] : 0 )
				);
			case 'unavailable':
				return __( 'AgentDesk is temporarily unavailable. The plugin will try again automatically; nothing needs to be done on your site.', 'agentdesk-chatbot' );
			case 'unreachable':
				return sprintf(
					/* translators: %s: the technical error, such as "Connection refused". */
					__( 'Could not reach AgentDesk (%s). Check the API URL; your site may also be offline or blocking outgoing requests. The plugin will try again automatically.', 'agentdesk-chatbot' ),
					isset( $answer['detail'] ) ? $answer['detail'] : ''
				);
			case 'copy':
				return AgentDesk_Connect::copy_message( isset( $answer['detail'] ) ? $answer['detail'] : '' );
			case 'not_configured':
				return __( 'No AgentDesk API URL is set. Enter the API URL of your AgentDesk service below.', 'agentdesk-chatbot' );
			case 'rejected':
				return sprintf(
					/* translators: %s: the message returned by AgentDesk. */
					__( 'AgentDesk rejected the request: %s', 'agentdesk-chatbot' ),
					isset( $answer['detail'] ) ? $answer['detail'] : ''
				);
			default:
				return __( 'No heartbeat has been sent yet.', 'agentdesk-chatbot' );
		}
	}
}
