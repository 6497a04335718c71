// What the next message will carry besides its text: attached code (a selection, a file, and
// whatever a context source adds), images (checked against core/common/images), and the notice the
// composer shows. A send takes what is attached; what is attached while a send is being checked
// stays for the next message. Pure; the editor's pickers live in src/vscode/chat/attachments.ts.
import { imageProblem, roomForImage, sniffImageMime, type ImageProblem } from '../common/images';
import { newId, type ContextAttachment, type ImageAttachment } from './conversation';

export interface PendingAttachment {
  id: string;
  context?: ContextAttachment;
  image?: ImageAttachment;
}

export type AttachProblem = ImageProblem | 'tooMany';

/** Image names are cut to this many characters. */
const MAX_IMAGE_NAME_CHARS = 200;

export class Composer<Notice = unknown> {
  private items: PendingAttachment[] = [];
  /** A message about the composer (an image refused, a model that cannot see images…). */
  notice: Notice | undefined;

  get attachments(): readonly PendingAttachment[] { return this.items; }

  addContext(a: ContextAttachment): PendingAttachment {
    const p = { id: newId(), context: a };
    this.items.push(p);
    return p;
  }

  /** Attaches an image (base64 `data`; its type is taken from its bytes), or says why not. */
  addImage(name: string, mime: string, data: string): AttachProblem | undefined {
    const problem = imageProblem(mime, data);
    if (problem) return problem;
    const images = this.items.flatMap((p) => (p.image ? [p.image.data.length] : []));
    if (!roomForImage(images, data.length)) return 'tooMany';
    this.items.push({ id: newId(), image: { name: name.slice(0, MAX_IMAGE_NAME_CHARS), mime: sniffImageMime(data)!, data } });
    return undefined;
  }

  remove(id: string): void { this.items = this.items.filter((p) => p.id !== id); }

  /** What a send carries now (the attachments stay until release()). */
  take(): { used: PendingAttachment[]; context: ContextAttachment[]; images: ImageAttachment[] } {
    const used = this.items.slice();
    return {
      used,
      context: used.flatMap((p) => (p.context ? [p.context] : [])),
      images: used.flatMap((p) => (p.image ? [p.image] : [])),
    };
  }

  /** The message was sent with `used`: they leave the composer (later ones stay). */
  release(used: readonly PendingAttachment[]): void {
    this.items = this.items.filter((p) => !used.includes(p));
  }
}
