// Painting a mask over the image being edited. The canvas has the image's own
// pixel size (CSS scales it to the picture), so the mask PNG the API wants,
// alpha 0 where painted and opaque elsewhere, is made from it without resampling.

export class MaskPainter {
  /** @param {HTMLCanvasElement} canvas @param {() => number} brushSize CSS pixels @param {(painted: boolean) => void} onChange */
  constructor(canvas, brushSize, onChange) {
    this.canvas = canvas;
    this.brushSize = brushSize;
    this.onChange = onChange;
    this.painted = false;
    /** @type {{ x: number, y: number } | null} */
    this.last = null;
    const context = canvas.getContext('2d');
    if (!context) throw new Error('this browser cannot draw on a canvas');
    this.context = context;
    canvas.addEventListener('pointerdown', (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.last = this.#point(event);
      this.#stroke(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (event) => {
      if (!this.last) return;
      const point = this.#point(event);
      this.#stroke(this.last, point);
      this.last = point;
    });
    const end = () => {
      this.last = null;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  /** Starts afresh on an image of `width` × `height` pixels. */
  reset(width, height) {
    this.canvas.width = width;
    this.canvas.height = height;
    this.clear();
  }

  clear() {
    this.context.clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.painted = false;
    this.onChange(false);
  }

  /** The mask as a PNG: the image's size, alpha 0 where painted. */
  async toPng() {
    const mask = document.createElement('canvas');
    mask.width = this.canvas.width;
    mask.height = this.canvas.height;
    const context = mask.getContext('2d');
    if (!context) throw new Error('this browser cannot draw on a canvas');
    context.fillStyle = '#000';
    context.fillRect(0, 0, mask.width, mask.height);
    context.globalCompositeOperation = 'destination-out';
    context.drawImage(this.canvas, 0, 0);
    return new Promise((resolve, reject) => mask.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('could not encode the mask'))), 'image/png'));
  }

  /** @param {PointerEvent} event */
  #point(event) {
    const box = this.canvas.getBoundingClientRect();
    const scale = this.canvas.width / box.width;
    return { x: (event.clientX - box.left) * scale, y: (event.clientY - box.top) * scale, scale };
  }

  /** @param {{ x: number, y: number, scale?: number }} from @param {{ x: number, y: number, scale?: number }} to */
  #stroke(from, to) {
    const context = this.context;
    // Opaque strokes: CSS shows them half transparent, and the mask needs alpha exactly 0 under them.
    context.strokeStyle = '#ff2d6f';
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.lineWidth = this.brushSize() * (to.scale ?? 1);
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x + 0.01, to.y);
    context.stroke();
    if (!this.painted) {
      this.painted = true;
      this.onChange(true);
    }
  }
}
