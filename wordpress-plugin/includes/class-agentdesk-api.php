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

	/** Most bytes of an answer read (limit_response_size): the service's JSON is a few KB. */
	const MAX_RESPONSE_BYTES = 131072;

	/** Longest text from the network (a message, an error) kept or shown, in characters. */
	const MAX_DETAIL_LENGTH = 300;

	/** Longest API URL accepted, in characters. */
	const MAX_URL_LENGTH = 2048;

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
	 * Whether the API URL in use is one an administrator saved on the settings page (not the
	 * build's default, not wp-config.php's AGENTDESK_API_URL): only such a URL is held to the
	 * public-address rule of url_refusal().
	 *
	 * @return bool
	 */
	public function url_is_saved() {
		$saved = get_option( 'agentdesk_api_url', '' );
		return ! defined( 'AGENTDESK_API_URL_FROM_CONFIG' ) && is_string( $saved ) && '' !== $saved;
	}

	/**
	 * Whether wp-config.php allows a saved API URL on a private or loopback address
	 * (AGENTDESK_ALLOW_PRIVATE_API, for an AgentDesk service on the site's own network).
	 *
	 * @return bool
	 */
	public static function private_api_allowed() {
		return defined( 'AGENTDESK_ALLOW_PRIVATE_API' ) && AGENTDESK_ALLOW_PRIVATE_API;
	}

	/**
	 * Why a URL may not be the API URL an administrator saves ('' when it may): not http(s),
	 * too long, or (unless AGENTDESK_ALLOW_PRIVATE_API) a host that is, or resolves to, a loopback,
	 * private, link-local or reserved address. Checked when the URL is saved and again before each
	 * request, so a name that later resolves elsewhere is refused too.
	 *
	 * @param string $url The URL.
	 * @return string
	 */
	public static function url_refusal( $url ) {
		if ( strlen( $url ) > self::MAX_URL_LENGTH || ! preg_match( '#^https?://#i', $url ) ) {
			return __( 'The API URL must be an https:// (or http://) address of at most 2048 characters.', 'agentdesk-chatbot' );
		}
		$host = wp_parse_url( $url, PHP_URL_HOST );
		$host = is_string( $host ) ? strtolower( trim( $host, '[]' ) ) : '';
		if ( '' === $host ) {
			return __( 'The API URL must name a host.', 'agentdesk-chatbot' );
		}
		if ( self::private_api_allowed() ) {
			return '';
		}
		$refused = __( 'The API URL points at a private or loopback address. Only wp-config.php can allow that (AGENTDESK_ALLOW_PRIVATE_API).', 'agentdesk-chatbot' );
		// localhost, *.localhost and single-label names (an intranet host) name the local network.
		if ( 'localhost' === $host || '.localhost' === substr( $host, -10 ) || ( false === strpos( $host, '.' ) && false === strpos( $host, ':' ) ) ) {
			return $refused;
		}
		$addresses = filter_var( $host, FILTER_VALIDATE_IP ) ? array( $host ) : gethostbynamel( $host );
		foreach ( is_array( $addresses ) ? $addresses : array() as $address ) {
			if ( self::is_private_address( $address ) ) {
				return $refused;
			}
		}
		return '';
	}

	/**
	 * Whether an IP address is anything but public unicast: loopback, private, shared (CGNAT),
	 * link-local, multicast, reserved, unspecified; for IPv6 also unique-local and the forms that
	 * embed an IPv4 address (mapped, compatible) when that address is not public.
	 *
	 * @param string $address An IPv4 or IPv6 address.
	 * @return bool
	 */
	public static function is_private_address( $address ) {
		if ( filter_var( $address, FILTER_VALIDATE_IP, FILTER_FLAG_IPV6 ) ) {
			$bytes = (string) inet_pton( $address );
			if ( str_repeat( "\0", 10 ) . "\xff\xff" === substr( $bytes, 0, 12 ) || str_repeat( "\0", 12 ) === substr( $bytes, 0, 12 ) ) {
				// ::ffff:a.b.c.d and ::a.b.c.d (including :: and ::1): judged by the IPv4 part.
				$embedded = inet_ntop( substr( $bytes, 12 ) );
				return str_repeat( "\0", 15 ) === substr( $bytes, 0, 15 ) || self::is_private_address( (string) $embedded );
			}
			$first = ord( $bytes[0] );
			// Public unicast is 2000::/3; fc00::/7, fe80::/10, ff00::/8 and the rest lie outside it.
			return 0x20 !== ( $first & 0xe0 );
		}
		$long = ip2long( $address );
		if ( false === $long ) {
			return true;
		}
		$ranges = array( '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.168.0.0/16', '198.18.0.0/15', '224.0.0.0/3' );
		foreach ( $ranges as $range ) {
			list( $network, $bits ) = explode( '/', $range );
			$mask = -1 << ( 32 - (int) $bits );
			if ( ( $long & $mask ) === ( ip2long( $network ) & $mask ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Text from the network cut to at most $max characters, so a long answer is neither stored
	 * nor shown whole.
	 *
	 * @param string $text The text.
	 * @param int    $max  Characters.
	 * @return string
	 */
	public static function clip( $text, $max = self::MAX_DETAIL_LENGTH ) {
		$text = (string) $text;
		return mb_strlen( $text ) > $max ? mb_substr( $text, 0, $max - 1 ) . '…' : $text;
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
	 * The answer given without a request when the saved API URL is refused (url_refusal()), or
	 * null when the call may go ahead.
	 *
	 * @return array{result: string, code: int, data: array, retry_after: int, detail: string}|null
	 */
	public function refused_url() {
		if ( ! $this->url_is_saved() ) {
			return null;
		}
		$refusal = self::url_refusal( $this->base_url() );
		if ( '' === $refusal ) {
			return null;
		}
		return array(
			'result'      => 'url_refused',
			'code'        => 0,
			'data'        => array(),
			'retry_after' => 0,
			'detail'      => $refusal,
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
		$refused = $this->refused_url();
		if ( null !== $refused ) {
			return $refused;
		}
		$args = array(
			'timeout'             => $timeout,
			'redirection'         => 0,
			'limit_response_size' => self::MAX_RESPONSE_BYTES,
			'user-agent'          => 'AgentDesk-Chatbot/' . AGENTDESK_VERSION,
			'headers'             => array(
				'X-Bot-Token'  => $token,
				'Accept'       => 'application/json',
				'Content-Type' => 'application/json',
			),
			'body'                => null === $body ? '{}' : wp_json_encode( $body ),
		);
		// wp_remote_post, not wp_safe_remote_post: a self-hosted AgentDesk may live on a private address
		// (the build's default or wp-config.php's); a URL saved on the settings page was checked above.
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
		$refused = $this->refused_url();
		if ( null !== $refused ) {
			return $refused;
		}
		$response = wp_remote_get(
			$this->base_url() . $path,
			array(
				'timeout'             => self::TIMEOUT,
				'redirection'         => 0,
				'limit_response_size' => self::MAX_RESPONSE_BYTES,
				'user-agent'          => 'AgentDesk-Chatbot/' . AGENTDESK_VERSION,
				'headers'             => array( 'Accept' => 'application/json' ),
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
				'detail'      => self::clip( $response->get_error_message() ),
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
			'detail'      => isset( $data['message'] ) && is_string( $data['message'] ) ? self::clip( $data['message'] ) : '',
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
					isset( $answer['detail'] ) ? self::clip( $answer['detail'] ) : ''
				);
			case 'url_refused':
				return isset( $answer['detail'] ) ? self::clip( $answer['detail'] ) : '';
			case 'copy':
				return AgentDesk_Connect::copy_message( isset( $answer['detail'] ) ? $answer['detail'] : '' );
			case 'not_configured':
				return __( 'No AgentDesk API URL is set. Enter the API URL of your AgentDesk service below.', 'agentdesk-chatbot' );
			case 'rejected':
				return sprintf(
					/* translators: %s: the message returned by AgentDesk. */
					__( 'AgentDesk rejected the request: %s', 'agentdesk-chatbot' ),
					isset( $answer['detail'] ) ? self::clip( $answer['detail'] ) : ''
				);
			default:
				return __( 'No heartbeat has been sent yet.', 'agentdesk-chatbot' );
		}
	}
}
