/**
 * Failure messages and stack traces (a decline message, a PaymentIntent id in an error) go into
 * the failure's encoded attributes, a payload, so the codec encrypts them too. Bundled into the
 * workflow sandbox (failureConverterPath) and loaded by clients and workers: no Node built-ins.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
