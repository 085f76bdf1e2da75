/**
 * The settings of the keyrings the operator rotates in the Secret `inference-keys`
 * (controllers/key-rotation.ts): the resume-token keys and the audit checkpoint keys. Both are
 * in one Secret, so one propagation delay serves both.
 */
import type { SettingSpec } from './settings.ts';

/** How one keyring rotates. */
export interface KeyRotation {
  /** A new key is published this often; 0 never rotates. */
  rotationPeriodMs: number;
  /** Longest time until every gateway replica reads a changed Secret. */
  propagationMs: number;
}

export interface KeyRotationSettings {
  /** The resume-token HMAC keyring (`keys/resume.json`). */
  resumeKeys: KeyRotation;
  /** The audit checkpoint signing keys (`keys/audit.json`). */
  auditKeys: KeyRotation;
}

export const KEY_ROTATION_SETTINGS: readonly SettingSpec[] = [
  {
    env: 'INFERENCE_RESUME_KEY_ROTATION_MS',
    default: '86400000',
    description:
      'A new resume-token key is published this often (0: never rotate); see INFERENCE_RESUME_KEY_PROPAGATION_MS.',
  },
  {
    env: 'INFERENCE_RESUME_KEY_PROPAGATION_MS',
    default: '90000',
    description:
      "Longest time from a Secret change to every gateway pod reading it (kubelet's sync period plus slack): a new key signs only this long after it is published, and an old key is kept this long plus the token lifetime after its successor signs. The audit keys, in the same Secret, use it too.",
  },
  {
    env: 'INFERENCE_AUDIT_KEY_ROTATION_MS',
    default: '2592000000',
    description:
      'A new audit checkpoint signing key (Ed25519) is published this often (0: never rotate); it signs INFERENCE_RESUME_KEY_PROPAGATION_MS later, and a replaced key keeps verifying from `retired` for 181 days.',
  },
];

/** The rotation settings, read with loadSettings' integer reader. */
export function readKeyRotation(int: (name: string) => number): KeyRotationSettings {
  const propagationMs = int('INFERENCE_RESUME_KEY_PROPAGATION_MS');
  return {
    resumeKeys: { rotationPeriodMs: int('INFERENCE_RESUME_KEY_ROTATION_MS'), propagationMs },
    auditKeys: { rotationPeriodMs: int('INFERENCE_AUDIT_KEY_ROTATION_MS'), propagationMs },
  };
}
