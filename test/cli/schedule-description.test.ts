import { strict as assert } from 'node:assert';
import type { CalendarSpecDescription } from '@temporalio/client';
import { calendarToCron, formatDuration, formatInZone } from '../../src/cli/schedule-description';

const every = { second: [{ start: 0, end: 0, step: 1 }], year: [] } as const;
const calendar = (c: Partial<CalendarSpecDescription>): CalendarSpecDescription => ({
  ...every,
  second: [...every.second],
  year: [],
  minute: [{ start: 0, end: 59, step: 1 }],
  hour: [{ start: 0, end: 23, step: 1 }],
  dayOfMonth: [{ start: 1, end: 31, step: 1 }],
  month: [{ start: 'JANUARY', end: 'DECEMBER', step: 1 }],
  dayOfWeek: [{ start: 'SUNDAY', end: 'SATURDAY', step: 1 }],
  ...c,
});

describe('schedule description helpers', () => {
  it('writes the server\'s structured calendar back as the cron expression it came from', () => {
    assert.equal(calendarToCron(calendar({ minute: [{ start: 0, end: 0, step: 1 }], hour: [{ start: 6, end: 6, step: 1 }] })), '0 6 * * *');
    assert.equal(
      calendarToCron(calendar({
        minute: [{ start: 0, end: 59, step: 15 }],
        hour: [{ start: 8, end: 18, step: 1 }],
        dayOfWeek: [{ start: 'MONDAY', end: 'FRIDAY', step: 1 }],
        month: [{ start: 'MARCH', end: 'MARCH', step: 1 }, { start: 'JUNE', end: 'JUNE', step: 1 }],
      })),
      '*/15 8-18 * 3,6 1-5',
    );
    assert.equal(calendarToCron(calendar({ second: [{ start: 30, end: 30, step: 1 }], minute: [{ start: 5, end: 5, step: 1 }] })), '30 5 * * * *');
  });

  it('formats durations exactly, largest unit first', () => {
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(5_400_000), '1h 30m');
    assert.equal(formatDuration(86_400_000 + 1_000), '1d 1s');
    assert.equal(formatDuration(250), '250ms');
  });

  it('shows a time in the schedule\'s zone with the zone\'s name', () => {
    assert.equal(formatInZone(new Date('2026-12-03T05:00:00Z'), 'Europe/Berlin'), '2026-12-03 06:00 CET');
    assert.equal(formatInZone(new Date('2026-07-03T04:00:00Z'), 'Europe/Berlin'), '2026-07-03 06:00 CEST');
    assert.equal(formatInZone(new Date('2026-07-03T04:00:30Z'), 'UTC'), '2026-07-03 04:00:30 UTC');
  });
});
