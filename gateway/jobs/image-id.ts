// Output ids: `img_<job id without job_>_<index>`, what an edit names an earlier output by.
const IMAGE_ID = /^img_([0-9a-z]{1,4}_[0-9a-f]{32})_(\d{1,2})$/;

/** The id an output is edited by: its job and index. */
export function imageIdOf(jobId: string, index: number): string {
  return `img_${jobId.slice('job_'.length)}_${index}`;
}

/** The job and index an output id names, or null for an id that is not one of ours. */
export function jobOfImageId(imageId: string): { jobId: string; index: number } | null {
  const match = IMAGE_ID.exec(imageId);
  return match ? { jobId: `job_${match[1]}`, index: Number(match[2]) } : null;
}
