<?php
/**
 * Admin notices where something needs the site owner, and the Dashboard widget.
 *
 * @package AgentDesk_Chatbot
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Notices for users who can change the settings (manage_options), each dismissible per user and
 * gone once its cause is fixed: finish connecting; the last heartbeat failed or is overdue; WP-Cron
 * is disabled and no system cron runs it; this site is a copy of another. A dismissed notice comes
 * back when its cause changes (another failure, another original address). The paused notice stays
 * AgentDesk_Admin's.
 */
class AgentDesk_Notices {

	/** The admin-post.php action of the notices' Dismiss links. */
	const DISMISS_ACTION = 'agentdesk_dismiss_notice';

	/** User meta (with the site's id appended): notice id => the cause this user dismissed. */
	const DISMISSED_META = 'agentdesk_dismissed_notices_';

	/**
	 * The API client.
	 *
	 * @var AgentDesk_API
	 */
	private $api;

	/**
	 * The settings page (its connection status, in words).
	 *
	 * @var AgentDesk_Admin
	 */
	private $admin;

	/**
	 * Builds the notices.
	 *
	 * @param AgentDesk_API   $api   The API client.
	 * @param AgentDesk_Admin $admin The settings page.
	 */
	public function __construct( AgentDesk_API $api, AgentDesk_Admin $admin ) {
		$this->api   = $api;
		$this->admin = $admin;
	}

	/**
	 * Hooks the notices, their Dismiss action and the Dashboard widget.
	 */
	public function register() {
		add_action( 'admin_notices', array( $this, 'render' ) );
		add_action( 'admin_post_' . self::DISMISS_ACTION, array( $this, 'handle_dismiss' ) );
		add_action( 'wp_dashboard_setup', array( $this, 'add_dashboard_widget' ) );
	}

	/**
	 * The notices that apply now: id => array(key, class, message, html extra). The key names the
	 * cause, so a dismissal covers that cause only.
	 *
	 * @return array<string, array{key: string, class: string, message: string, extra: string}>
	 */
	public function current() {
		$notices = array();
		$token   = $this->api->token();
		$copy_of = AgentDesk_Connect::copy_of();
		if ( '' === $token ) {
			$notices['setup'] = array(
				'key'     => 'setup',
				'class'   => 'notice-info',
				'message' => __( 'Finish connecting AgentDesk: connect this site to show your chat bot and let AgentDesk tell you when the site stops reporting.', 'agentdesk-chatbot' ),
				'extra'   => 'connect',
			);
			return $notices;
		}
		if ( '' !== $copy_of ) {
			$notices['copy'] = array(
				'key'     => 'copy:' . $copy_of,
				'class'   => 'notice-warning',
				'message' => AgentDesk_Connect::copy_message( $copy_of ),
				'extra'   => 'connect',
			);
			return $notices;
		}
		$paused = get_option( AgentDesk_Heartbeat::PAUSED_OPTION );
		if ( is_string( $paused ) && '' !== $paused ) {
			return $notices;
		}
		$last = AgentDesk_Heartbeat::last_result();
		if ( null !== $last && 'ok' !== $last['result'] ) {
			$notices['heartbeat'] = array(
				'key'     => 'failed:' . $last['result'] . ':' . (int) $last['code'],
				'class'   => 'notice-warning',
				'message' => sprintf(
					/* translators: %s: why it failed, in words. */
					__( 'The last AgentDesk heartbeat failed: %s', 'agentdesk-chatbot' ),
					AgentDesk_API::explain( $last )
				),
				'extra'   => '',
			);
		} elseif ( AgentDesk_Heartbeat::overdue_seconds() > 0 ) {
			$notices['heartbeat'] = array(
				'key'     => 'overdue',
				'class'   => 'notice-warning',
				'message' => sprintf(
					/* translators: 1: a duration such as "2 hours", 2: what to do. */
					__( 'The AgentDesk heartbeat is overdue by %1$s. %2$s', 'agentdesk-chatbot' ),
					human_time_diff( time() - AgentDesk_Heartbeat::overdue_seconds() ),
					AgentDesk_Admin::cron_advice()
				),
				'extra'   => '',
			);
		}
		$cron = AgentDesk_Site_Facts::collect();
		if ( isset( $cron['cron']['mode'] ) && 'disabled' === $cron['cron']['mode'] ) {
			$notices['cron'] = array(
				'key'     => 'cron',
				'class'   => 'notice-warning',
				'message' => __( 'WP-Cron is disabled on this site (DISABLE_WP_CRON) and no system cron job runs it: scheduled tasks, the AgentDesk heartbeat included, do not run. Add one of these lines to the server\'s crontab:', 'agentdesk-chatbot' ),
				'extra'   => 'crontab',
			);
		}
		return $notices;
	}

	/**
	 * The notices this user has not dismissed, on every admin page.
	 */
	public function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		$dismissed = get_user_meta( get_current_user_id(), self::DISMISSED_META . get_current_blog_id(), true );
		$dismissed = is_array( $dismissed ) ? $dismissed : array();
		foreach ( $this->current() as $id => $notice ) {
			if ( isset( $dismissed[ $id ] ) && $dismissed[ $id ] === $notice['key'] ) {
				continue;
			}
			$dismiss = wp_nonce_url( add_query_arg( 'notice', $id, admin_url( 'admin-post.php?action=' . self::DISMISS_ACTION ) ), self::DISMISS_ACTION . '_' . $id );
			echo '<div class="notice ' . esc_attr( $notice['class'] ) . ' agentdesk-notice" id="' . esc_attr( 'agentdesk-notice-' . $id ) . '">';
			echo '<p><strong>AgentDesk:</strong> ' . esc_html( $notice['message'] ) . '</p>';
			if ( 'connect' === $notice['extra'] ) {
				echo '<p>';
				AgentDesk_Connect::button( AgentDesk_Connect::START_ACTION, 'copy' === $id ? __( 'Connect this site as its own site', 'agentdesk-chatbot' ) : __( 'Connect to AgentDesk', 'agentdesk-chatbot' ), 'agentdesk-notice-connect-' . $id );
				echo '</p>';
			} elseif ( 'crontab' === $notice['extra'] ) {
				$this->render_crontab();
			}
			echo '<p><a class="agentdesk-dismiss" href="' . esc_url( $dismiss ) . '">' . esc_html( 'copy' === $id ? __( 'Keep it silent', 'agentdesk-chatbot' ) : __( 'Dismiss', 'agentdesk-chatbot' ) ) . '</a></p>';
			echo '</div>';
		}
	}

	/**
	 * Two copyable crontab lines: through HTTP, and through WP-CLI.
	 */
	private function render_crontab() {
		$http = '*/5 * * * * curl -fsS -o /dev/null ' . escapeshellarg( site_url( 'wp-cron.php?doing_wp_cron' ) );
		$cli  = '*/5 * * * * cd ' . escapeshellarg( untrailingslashit( ABSPATH ) ) . ' && wp cron event run --due-now --quiet';
		foreach ( array(
			'agentdesk-crontab-http' => $http,
			'agentdesk-crontab-cli'  => $cli,
		) as $id => $line ) {
			echo '<p><input type="text" readonly="readonly" class="large-text code" id="' . esc_attr( $id ) . '" value="' . esc_attr( $line ) . '" /></p>';
		}
	}

	/**
	 * Dismisses one notice for this user, for its current cause.
	 */
	public function handle_dismiss() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You do not have permission to change the AgentDesk settings.', 'agentdesk-chatbot' ), '', array( 'response' => 403 ) );
		}
		$id = isset( $_GET['notice'] ) ? sanitize_key( wp_unslash( $_GET['notice'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification.Recommended -- checked just below, per notice.
		check_admin_referer( self::DISMISS_ACTION . '_' . $id );
		$current = $this->current();
		if ( isset( $current[ $id ] ) ) {
			$dismissed        = get_user_meta( get_current_user_id(), self::DISMISSED_META . get_current_blog_id(), true );
			$dismissed        = is_array( $dismissed ) ? $dismissed : array();
			$dismissed[ $id ] = $current[ $id ]['key'];
			update_user_meta( get_current_user_id(), self::DISMISSED_META . get_current_blog_id(), $dismissed );
		}
		wp_safe_redirect( wp_get_referer() ? wp_get_referer() : admin_url() );
		exit;
	}

	/**
	 * Dashboard → Home: the connection status and the last heartbeat.
	 */
	public function add_dashboard_widget() {
		if ( current_user_can( 'manage_options' ) ) {
			wp_add_dashboard_widget( 'agentdesk_status', __( 'AgentDesk', 'agentdesk-chatbot' ), array( $this, 'render_dashboard_widget' ) );
		}
	}

	/**
	 * The widget's content.
	 */
	public function render_dashboard_widget() {
		$copy_of = AgentDesk_Connect::copy_of();
		$status  = $this->admin->status();
		$label   = '' === $copy_of ? $status['label'] : __( 'Silent copy', 'agentdesk-chatbot' );
		$message = '' === $copy_of ? $status['message'] : AgentDesk_Connect::copy_message( $copy_of );
		$ok_at   = get_option( 'agentdesk_last_heartbeat' );
		echo '<p><strong id="agentdesk-widget-status">' . esc_html( $label ) . '</strong></p>';
		echo '<p>' . esc_html( $message ) . '</p>';
		echo '<p id="agentdesk-widget-last-heartbeat">' . esc_html__( 'Last successful heartbeat:', 'agentdesk-chatbot' ) . ' ';
		if ( is_string( $ok_at ) && '' !== $ok_at ) {
			$ok_time = (int) get_gmt_from_date( $ok_at, 'U' );
			echo esc_html(
				sprintf(
					/* translators: 1: a date and time, 2: a duration such as "3 mins". */
					__( '%1$s (%2$s ago)', 'agentdesk-chatbot' ),
					wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), $ok_time ),
					human_time_diff( $ok_time )
				)
			);
		} else {
			esc_html_e( 'Never', 'agentdesk-chatbot' );
		}
		echo '</p><p><a href="' . esc_url( admin_url( 'options-general.php?page=' . AgentDesk_Admin::PAGE ) ) . '">' . esc_html__( 'AgentDesk settings', 'agentdesk-chatbot' ) . '</a></p>';
	}
}
