// Where a block sits on the day board's time axis: by elapsed time from the axis start, so a
// 23- or 25-hour day (daylight-saving change) is drawn as it happens.
import { zonedInstant } from "../../lib/time";

export interface Axis {
  start: Date;
  end: Date;
}

/** 07:00 to 20:00 local, widened to the first block's start and the last block's end. */
export function boardAxis(date: string, timeZone: string, blocks: { block_starts_at: string; block_ends_at: string }[]): Axis {
  let start = zonedInstant(date, "07:00", timeZone).getTime();
  let end = zonedInstant(date, "20:00", timeZone).getTime();
  for (const b of blocks) {
    start = Math.min(start, new Date(b.block_starts_at).getTime());
    end = Math.max(end, new Date(b.block_ends_at).getTime());
  }
  const hour = 3600000;
  return { start: new Date(Math.floor(start / hour) * hour), end: new Date(Math.ceil(end / hour) * hour) };
}

/** Left edge and width of an interval on the axis, in percent. */
export function placeOnAxis(axis: Axis, from: string | Date, to: string | Date): { left: number; width: number } {
  const span = axis.end.getTime() - axis.start.getTime();
  const a = Math.max(new Date(from).getTime(), axis.start.getTime());
  const b = Math.min(new Date(to).getTime(), axis.end.getTime());
  return { left: ((a - axis.start.getTime()) / span) * 100, width: (Math.max(b - a, 0) / span) * 100 };
}
