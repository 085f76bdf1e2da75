/**
 * The cipher suites of every TLS connection the gateway makes or accepts: TLS 1.3's suites,
 * then TLS 1.2's AEAD suites with forward secrecy (ECDHE only: no RSA key exchange, no CBC, no
 * DHE), ECDSA before RSA, as Mozilla's "intermediate" profile orders them.
 */
export const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
