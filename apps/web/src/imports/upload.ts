import { adminAuthHeader } from "~/jobs/admin-token";

export interface UploadResult {
  id: string;
  name: string;
  format: string;
  kerasVersion: string;
  params: number;
  sha256: string;
}

export class UploadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** POST /api/imports with XMLHttpRequest, the one browser API that reports upload progress. */
export function uploadModel(file: File, name: string, onProgress: (fraction: number) => void): Promise<UploadResult> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file);
    if (name.trim()) form.append("name", name.trim());
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/imports");
    for (const [k, v] of Object.entries(adminAuthHeader())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: { error?: string } & Partial<UploadResult> = {};
      try {
        body = JSON.parse(xhr.responseText);
      } catch {}
      if (xhr.status === 201 && body.id) resolve(body as UploadResult);
      else reject(new UploadError(body.error ?? `upload failed (HTTP ${xhr.status})`, xhr.status));
    };
    xhr.onerror = () => reject(new UploadError("the upload did not reach the server", 0));
    xhr.send(form);
  });
}
