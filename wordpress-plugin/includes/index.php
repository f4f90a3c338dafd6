<?php
/**
 * Silence is golden.
 *
 * @package AgentDesk_Chatbot
 */
