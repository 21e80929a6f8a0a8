// Test setup: an IndexedDB for happy-dom (which has none).
import 'fake-indexeddb/auto';
