import { describe, expect, it } from 'vitest';
import { trainingText } from './train-commands.ts';

const training = (records: number) => ({ id: 'trn-1', function: 'slope', version: 'a1b2c3d4e5f6', status: 'queued', then: 'none', device: 'cpu', dataset: { records, source: 'upload', heldOut: 0.25, hash: 'ab'.repeat(32) } });

describe('trainingText', () => {
  it('counts the dataset in words that agree with the number', () => {
    expect(trainingText(training(1)).split('\n')[1]).toBe('dataset: 1 record (upload), 25% held out, sha256 abababababababab…');
    expect(trainingText(training(2)).split('\n')[1]).toBe('dataset: 2 records (upload), 25% held out, sha256 abababababababab…');
  });
});
