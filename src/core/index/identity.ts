/** Everything that changes the vectors a model produces; one index file exists per identity and workspace root. */
export interface IndexIdentity {
  model: string;
  revision: string;
  dtype: string;
  maxLength: number;
  pooling: string;
  dim: number;
}

/** A canonical string for an identity (fixed field order), used for file names and comparisons. */
export function identityKey(identity: IndexIdentity): string {
  const { model, revision, dtype, maxLength, pooling, dim } = identity;
  return JSON.stringify([model, revision, dtype, maxLength, pooling, dim]);
}
