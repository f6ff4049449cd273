/**
 * Failure messages and stack traces (a decline message, a PaymentIntent id in an error) go into
 * the failure's encoded attributes, a payload, so the codec encrypts them too. Bundled into the
 * workflow sandbox (failureConverterPath) and loaded by clients and workers: no Node built-ins.
 */
import { DefaultFailureConverter, type ProtoFailure } from '@temporalio/common';
import type { PayloadConverter } from '@temporalio/common';

/** Named in encryption-codec.ts; matched by name because the sandbox cannot import that module. */
const MISSING_KEY_ERROR = 'MissingCodecKeyError';

class EncryptingFailureConverter extends DefaultFailureConverter {
  private readonly plain = new DefaultFailureConverter({ encodeCommonAttributes: false });

  constructor() {
    super({ encodeCommonAttributes: true });
  }

  // A worker that lacks a key fails its workflow task with a message that holds key ids only:
  // kept readable, so the Web UI and a replay show which key to add without that key.
  override errorToFailure(err: unknown, payloadConverter: PayloadConverter): ProtoFailure {
    if (err instanceof Error && err.name === MISSING_KEY_ERROR) return this.plain.errorToFailure(err, payloadConverter);
    return super.errorToFailure(err, payloadConverter);
  }
}

export const failureConverter = new EncryptingFailureConverter();
