// The one place that says which images the chat takes and how large: the extension (attachments,
// the webview-input check, OpenAI data URLs) and the webview (paste, thumbnails) all read these.
// Pure: no Node, no DOM.

/** The image types vision models are sent: PNG, JPEG, WebP, GIF. */
export const IMAGE_MIMES: readonly string[] = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'];
/** File name extensions offered by the image picker. */
export const IMAGE_EXTENSIONS: readonly string[] = ['png', 'jpg', 'jpeg', 'webp', 'gif'];
/** One image: at most 20 MiB of bytes… */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
/** …which is at most this much base64 (with padding). */
export const MAX_IMAGE_BASE64_CHARS = Math.ceil((MAX_IMAGE_BYTES * 4) / 3) + 4;
/** Images waiting to be sent with one message: at most this many, and this much base64 in all. */
export const MAX_PENDING_IMAGES = 10;
export const MAX_PENDING_IMAGE_CHARS = 50_000_000;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** A data: URL of one of our image types (what the extension makes for the webview). */
export const IMAGE_DATA_URL = /^data:image\/(png|jpeg|webp|gif);base64,/;

export function isSupportedImageMime(mime: string): boolean { return IMAGE_MIMES.includes(mime); }

/** The image type from the first bytes of base64 data, or undefined when it is not one we accept. */
export function sniffImageMime(b64: string): string | undefined {
  if (b64.startsWith('iVBOR')) return 'image/png';
  if (b64.startsWith('/9j/')) return 'image/jpeg';
  if (b64.startsWith('UklGR')) return 'image/webp';
  if (b64.startsWith('R0lGOD')) return 'image/gif';
  return undefined;
}

export function imageDataUrl(mime: string, b64: string): string { return `data:${mime};base64,${b64}`; }

export type ImageProblem = 'unsupported' | 'tooLarge' | 'unreadable';

/** Why an image (its claimed type and base64 data) cannot be attached, or undefined when it can.
 * The type is checked against the data's own first bytes, not only the claim. */
export function imageProblem(mime: string, b64: string): ImageProblem | undefined {
  if (!isSupportedImageMime(mime) || sniffImageMime(b64) === undefined) return 'unsupported';
  if (b64.length > MAX_IMAGE_BASE64_CHARS) return 'tooLarge';
  if (!BASE64.test(b64)) return 'unreadable';
  return undefined;
}

/** True when `pending` images (base64 lengths) leave room for one more of `chars` characters. */
export function roomForImage(pending: readonly number[], chars: number): boolean {
  return pending.length < MAX_PENDING_IMAGES && pending.reduce((n, c) => n + c, 0) + chars <= MAX_PENDING_IMAGE_CHARS;
}
