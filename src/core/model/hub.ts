// Hugging Face Hub naming: what a model id and a revision may look like, and where a file of a model is served.
//
//   isHubId(text)                          "owner/name" with the Hub's characters
//   assertHubId(id), assertRevision(rev)   reject anything unsafe to put in a cache path or URL
//   hubFileUrl(endpoint, id, rev, path)    `${endpoint}/${id}/resolve/${revision}/${path}`
//   isEndpointUrl(text)                    an http(s) URL without credentials, usable as a download endpoint
//   DEFAULT_ENDPOINT

export const DEFAULT_ENDPOINT = 'https://huggingface.co';

/** Owner and name start with a letter or digit; the Hub allows letters, digits, ".", "_" and "-" after that. */
const HUB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

/** A commit hash, a branch or a tag; "/" allowed for names like refs/pr/3, but no ".." segment. */
const REVISION = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$/;

export function isHubId(text: string): boolean {
  return HUB_ID.test(text);
}

export function assertHubId(id: string): void {
  if (!isHubId(id)) throw new Error(`"${id}" is not a Hugging Face model id of the form owner/name`);
}

export function assertRevision(revision: string): void {
  if (!REVISION.test(revision) || revision.split('/').includes('..')) {
    throw new Error(`"${revision}" is not a valid model revision (a commit hash, branch or tag)`);
  }
}

export function hubFileUrl(endpoint: string, id: string, revision: string, path: string): string {
  const base = endpoint.replace(/\/+$/, '');
  return `${base}/${id}/resolve/${encodeURIComponent(revision)}/${path}`;
}

/** An http(s) URL without user name or password (credentials would end up in logs and error messages). */
export function isEndpointUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
  } catch {
    return false;
  }
}
