/**
 * Dedupe keys of the processing jobs: at most one live job per chunk and per
 * session, and the names workers use to ask whether that job is running elsewhere.
 */
export const JobKeys = {
  transcribeChunk: (blobKey: string) => `transcribe-chunk:${blobKey}`,
  processSession: (tenantId: string, sessionId: string) => `process-session:${tenantId}:${sessionId}`,
};
