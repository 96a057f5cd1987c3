/**
 * Loaded by path (the SDK also loads it inside the workflow sandbox): failure messages and stack
 * traces travel in the failure's encoded attributes, so the payload codec encrypts them too.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
