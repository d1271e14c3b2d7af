// The part of a picture that becomes a frame, as a model card says (card.input.resize and crop):
// the picture is scaled, keeping its aspect ratio, to cover the card's W x H and centre-cropped to
// it; with crop=center the model's input size is then cut from the centre (crop=none: W x H is the
// input size). Both steps keep the centre, so together they are one centred window of the
// picture, scaled to the frame. The laptop does this before a frame is sent, in the core (image
// folders, `mchair classify`) and in the page (camera, video, image files) alike.
import { z } from 'zod';

const Side = z.number().int().min(8).max(4096);

/** What the page needs to make a run's frames: the model's input size and the card's resize. */
export const FrameView = z
  .object({
    width: Side,
    height: Side,
    /** The card's W x H the picture is scaled to cover before the frame is cut from its centre. */
    resize: z.tuple([Side, Side]),
  })
  .strict();
export type FrameView = z.infer<typeof FrameView>;

export interface PictureWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The window of a `picture`-sized picture that, scaled to view.width x view.height, is the frame. */
export function frameWindow(
  picture: { width: number; height: number },
  view: FrameView,
): PictureWindow {
  const [rw, rh] = view.resize;
  const scale = Math.max(rw / picture.width, rh / picture.height);
  const width = view.width / scale;
  const height = view.height / scale;
  return {
    x: (picture.width - width) / 2,
    y: (picture.height - height) / 2,
    width,
    height,
  };
}
