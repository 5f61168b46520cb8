// The vocabulary of an image: sizes, qualities, formats and moderation levels,
// as the OpenAI Images API names them. Every other list of them derives from here.
import { z } from 'zod';

/** Sizes the images API accepts. */
export const IMAGE_SIZES = ['256x256', '512x512', '1024x1024', '1536x1024', '1024x1536'] as const;
export const imageSizeSchema = z.enum(IMAGE_SIZES);
export type ImageSize = z.infer<typeof imageSizeSchema>;

/** DALL·E 3's wide and tall sizes, which existing clients still send, and the supported size of the same orientation each renders at. */
export const DALL_E_SIZES = { '1792x1024': '1536x1024', '1024x1792': '1024x1536' } as const satisfies Record<string, ImageSize>;

/** What `size: "auto"` renders at (and is checked against plan limits as), when no input image says otherwise. */
export const AUTO_SIZE: ImageSize = '1024x1024';

/** A requested size with `auto` settled: `autoAs` when given (an edit's input), else AUTO_SIZE. */
export function resolveSize(size: ImageSize | 'auto', autoAs: ImageSize = AUTO_SIZE): ImageSize {
  return size === 'auto' ? autoAs : size;
}

/** Width and height of a size. */
export function dimensionsOf(size: ImageSize): [width: number, height: number] {
  const [width, height] = size.split('x').map(Number) as [number, number];
  return [width, height];
}

/** The output size for an `auto` edit: the input's own size when supported, else the supported size closest to its aspect ratio. */
export function sizeForInput(width: number, height: number): ImageSize {
  const own = IMAGE_SIZES.find((size) => size === `${width}x${height}`);
  if (own) return own;
  const ratio = width / height;
  if (ratio > 1.2) return '1536x1024';
  if (ratio < 1 / 1.2) return '1024x1536';
  return AUTO_SIZE;
}

export const IMAGE_QUALITIES = ['auto', 'low', 'medium', 'high'] as const;
export const qualitySchema = z.enum(IMAGE_QUALITIES);
export type Quality = z.infer<typeof qualitySchema>;

/** DALL·E's qualities and the quality each renders at (`standard` was DALL·E 3's default, `hd` its finer one). */
export const DALL_E_QUALITIES = { standard: 'medium', hd: 'high' } as const satisfies Record<string, Quality>;

/** DALL·E 3's `style`: accepted so existing clients keep working; the default pack renders both the same. */
export const imageStyleSchema = z.enum(['vivid', 'natural']);

/** A quality with `auto` settled: what a job renders at and what its answers report. */
export const renderedQualitySchema = z.enum(['low', 'medium', 'high']);
export type RenderedQuality = z.infer<typeof renderedQualitySchema>;

/**
 * What `quality: "auto"` renders at. The default pack renders every quality
 * with all of its passes at full size, so auto gets exactly what `high` gets, and says so.
 */
export const AUTO_QUALITY: RenderedQuality = 'high';

export function resolveQuality(quality: Quality): RenderedQuality {
  return quality === 'auto' ? AUTO_QUALITY : quality;
}

/** OpenAI's `background`, as a client may ask for it. */
export const backgroundSchema = z.enum(['auto', 'opaque', 'transparent']);
export type Background = z.infer<typeof backgroundSchema>;

/** A background with `auto` settled: what a job renders and what its answers report. */
export const renderedBackgroundSchema = z.enum(['opaque', 'transparent']);
export type RenderedBackground = z.infer<typeof renderedBackgroundSchema>;

/** `auto` renders opaque: the default pack paints a background unless asked not to. */
export function resolveBackground(background: Background | undefined): RenderedBackground {
  return background === 'transparent' ? 'transparent' : 'opaque';
}

/** Output formats a client can ask for. */
export const OUTPUT_FORMATS = ['png', 'jpeg', 'webp'] as const;
export const outputFormatSchema = z.enum(OUTPUT_FORMATS);
export type OutputFormat = z.infer<typeof outputFormatSchema>;

/** Formats that carry an alpha channel; `background: "transparent"` needs one. */
export const ALPHA_FORMATS: readonly OutputFormat[] = ['png', 'webp'];

/** Longest side of a partial image (stream preview), in pixels. */
export const PREVIEW_MAX_SIDE = 256;

/** The width and height of a partial image of a `width`×`height` job: the longest side at most PREVIEW_MAX_SIDE, never enlarged. */
export function previewDimensions(width: number, height: number): [width: number, height: number] {
  const scale = Math.min(1, PREVIEW_MAX_SIDE / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/** OpenAI's `moderation`: `low` relaxes the policy categories marked relaxable. */
export const moderationLevelSchema = z.enum(['auto', 'low']);
export type ModerationLevel = z.infer<typeof moderationLevelSchema>;

/** OpenAI's `input_fidelity` of an edit. */
export const inputFidelitySchema = z.enum(['low', 'high']);
