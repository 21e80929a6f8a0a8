import { expect, it, vi } from 'vitest';
import { watchFriction } from './friction.ts';

// Its own file: a watcher of its own, on a page that came by a back navigation and may not use sessionStorage.
it('throws nothing before the first page view when sessionStorage throws on a back navigation (a storage-blocked frame)', () => {
  vi.spyOn(performance, 'getEntriesByType').mockReturnValue([{ type: 'back_forward' } as never]);
  vi.spyOn(Storage.prototype, 'getItem').mockImplementation(() => {
    throw new DOMException('The operation is insecure.', 'SecurityError');
  });
  const cameBack = watchFriction(() => {}, true);
  expect(cameBack).not.toThrow();
});
