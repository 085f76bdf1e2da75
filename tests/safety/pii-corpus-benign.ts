import type { BenignCase } from './pii-corpus-types.ts';

/**
 * Benign look-alikes, written before measuring: what a gateway sees in prompts and logs that
 * shares a shape with personal data or secrets and is neither.
 */
export const BENIGN_CASES: readonly BenignCase[] = [
  // Version numbers.
  { what: 'a dotted version after "version"', text: 'Upgrade to version 1.2.3.4 first.' },
  { what: 'a v-prefixed version', text: 'Released v10.0.19041.1 yesterday' },
  { what: 'a semantic version', text: 'node 24.11.0 and npm 11.6.2' },
  { what: 'a pre-release', text: 'tag v2.0.0-rc.1+build.5' },
  { what: 'a release number', text: 'release 4.18.2.1 notes' },
  { what: 'a build number', text: 'build 20240115.3 passed' },
  { what: 'an OS build', text: 'Windows 10.0.22631 Build 22631' },
  // Order ids and references.
  { what: 'an order id', text: 'Order ORD-2024-000123 shipped' },
  { what: 'an order with hash', text: 'order #A-10293847 is late' },
  { what: 'an invoice number', text: 'Invoice INV-5551234 attached' },
  { what: 'a ticket number', text: 'ticket 2024011512 closed' },
  { what: 'a UPS tracking number', text: 'tracking 1Z999AA10123456784' },
  { what: 'an ISBN', text: 'ISBN 978-3-16-148410-0' },
  { what: 'a long numeric id', text: 'user id 184467440737 logged in' },
  { what: 'a Stripe test card word', text: 'use a test card such as the one in the docs' },
  { what: 'an eight-digit count', text: 'processed 12345678 rows' },
  { what: 'a population', text: 'population 47415750 (2023)' },
  { what: 'a unix timestamp', text: 'ts=1700000000123' },
  // Dates and times.
  { what: 'an ISO date', text: 'due 2024-01-15' },
  { what: 'an ISO timestamp', text: 'at 2024-01-15T10:30:00Z' },
  { what: 'a European date', text: 'el 15/01/2024 a las 10:30' },
  { what: 'a time of day', text: 'starts 10:30:00 sharp' },
  { what: 'a date range', text: '2023-12-01 - 2024-01-31' },
  // Hashes and identifiers in prose.
  {
    what: 'a SHA-256 in prose',
    text: 'sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  },
  { what: 'a git commit', text: 'fixed in commit 96c3aa9e02fb6a1b2c3d4e5f60718293a4b5c6d7' },
  { what: 'an MD5 checksum', text: 'checksum d41d8cd98f00b204e9800998ecf8427e OK' },
  {
    what: 'a docker digest',
    text: 'image@sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4',
  },
  { what: 'a UUID', text: 'request 550e8400-e29b-41d4-a716-446655440000 failed' },
  { what: 'a UUID v7', text: 'trace 01890a5d-ac96-774b-bcce-b302099a8057' },
  { what: 'a pod name', text: 'pod api-7d4b9c8f6d-x2x9k restarted' },
  { what: 'a base64 word', text: 'encoded as SGVsbG8gV29ybGQ=' },
  // Code and networking that is not an address.
  { what: 'a host and port', text: 'localhost:8080 and 0.0.0.0' },
  { what: 'C++ scopes', text: 'std::vector<int> a::b::c' },
  { what: 'a MAC address', text: 'MAC 00:1a:2b:3c:4d:5e' },
  { what: 'an error code', text: 'HRESULT 0x80070005' },
  { what: 'a CSS colour', text: 'color: #ff00ff;' },
  { what: 'a file path', text: '/usr/lib/x86_64-linux-gnu/libc.so.6' },
  { what: 'coordinates', text: 'Madrid 40.4168, -3.7038' },
  { what: 'a section number', text: 'see section 3.2.1.4 of the spec' },
  { what: 'a standard', text: 'ISO 27001:2022 and RFC 7519' },
  // Money and measurements.
  { what: 'an amount with thousand dots', text: 'total 987.654.321 €' },
  { what: 'an amount with decimals', text: '1.234.567,89 EUR' },
  { what: 'a dollar amount', text: '$1,234,567.00' },
  { what: 'a measurement', text: '1234 5678 mm' },
  // Words that sound like secrets.
  { what: 'a key word in prose', text: 'The API key is stored in the vault.' },
  { what: 'a token count', text: 'token count: 12345' },
  { what: 'a password rule', text: 'password: at least 12 characters' },
  { what: 'a secret ingredient', text: 'secret ingredient: cinnamon' },
  { what: 'a token name', text: 'token: ACCESS_TOKEN_PLACEHOLDER' },
  { what: 'scikit-learn', text: 'pip install scikit-learn sk-video' },
  { what: 'an AKIA word', text: 'AKIA is the prefix of AWS access keys' },
  { what: 'eyJ in prose', text: 'JWTs start with eyJ because of {"' },
  {
    what: 'a PEM public key header',
    text: '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
  },
  { what: 'a certificate header', text: '-----BEGIN CERTIFICATE-----' },
  // Numbers that fail a check.
  { what: 'a card failing Luhn', text: '4111 1111 1111 1112' },
  { what: 'an IBAN with a wrong check', text: 'ES00 2100 0418 4502 0005 1332' },
  { what: 'a DNI with a wrong letter', text: 'DNI 12345678A' },
  { what: 'a CPF with wrong checks', text: 'CPF 529.982.247-26' },
  { what: 'an all-equal CPF', text: '111.111.111-11' },
  { what: "HMRC's placeholder NINO", text: 'QQ 12 34 56 C' },
  { what: 'an SSN in a forbidden range', text: 'SSN 000-12-3456' },
  { what: 'a nine-digit number with no NIF word', text: 'reference 123456789' },
  { what: 'a fictional US number', text: '+1 (555) 123-4567' },
  { what: 'an email without a domain', text: 'user@localhost' },
  { what: 'an at sign', text: 'meet @ 5 pm' },
  { what: 'a handle', text: 'ping @jane.doe on chat' },
  // Plain prose.
  { what: 'prose', text: 'Please summarise the previous email in three bullet points.' },
  { what: 'Spanish prose', text: 'El año 2024 tuvo 366 días y 12 meses.' },
  { what: 'Chinese prose', text: '请在三点前回复，谢谢。' },
];
