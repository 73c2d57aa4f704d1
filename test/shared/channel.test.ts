import { describe, expect, it } from 'vitest';
import { CHANNELS, channelLabel, channelOf, type ChannelName } from '../../shared/channel.js';

describe('channelOf: the channel from Description (volume-activation.md 1.1, 1.5)', () => {
  it.each<[string, string | null, ChannelName]>([
    ['Windows Operating System - Windows(R) Vista, VOLUME_KMSCLIENT channel', null, 'kms-client'],
    ['Windows Operating System - Windows(R) 7, VOLUME_KMSCLIENT channel', null, 'kms-client'],
    ['Windows(R) Operating System, VOLUME_KMSCLIENT channel', null, 'kms-client'],
    ['Office 16, VOLUME_KMSCLIENT channel', null, 'kms-client'],
    ['Windows Operating System - Windows(R) 7, VOLUME_KMS_C channel', null, 'kms-host'],
    ['Windows(R) Operating System, VOLUME_KMS_C channel', null, 'kms-host'],
    ['Windows(R) Operating System, VOLUME_KMS_2012-R2_WIN10 channel', null, 'kms-host'],
    ['Windows(R) Operating System, VOLUME_MAK channel', null, 'mak'],
    ['Windows Operating System - Windows(R) Vista, VOLUME_MAK channel', null, 'mak'],
    ['Windows(R) Operating System, RETAIL channel', null, 'retail'],
    ['Windows(R) Operating System, OEM_DM channel', null, 'oem'],
    ['Windows(R) Operating System, OEM_SLP channel', null, 'oem'],
    ['Windows(R) Operating System, OEM_COA_NSLP channel', null, 'oem'],
    ['windows(r) operating system, volume_kmsclient channel', null, 'kms-client'],
    ['Windows(R) Operating System, TIMEBASED_EVAL channel', null, 'unknown'],
    ['', null, 'unknown'],
  ])('%j → %s', (description, pkc, expected) => {
    expect(channelOf(description, pkc)).toBe(expected);
  });

  it.each([null, undefined])('a missing Description (%s) is unknown', (d) => {
    expect(channelOf(d)).toBe('unknown');
  });
});

describe('channelOf: ProductKeyChannel (Win8+) wins over Description', () => {
  const misleading = 'Windows(R) Operating System, RETAIL channel';
  it.each<[string, ChannelName]>([
    ['Volume:GVLK', 'kms-client'],
    ['Volume:CSVLK', 'kms-host'],
    ['Volume:MAK', 'mak'],
    ['Retail', 'retail'],
    ['OEM:DM', 'oem'],
    ['OEM:NONSLP', 'oem'],
  ])('%s → %s', (pkc, expected) => {
    const description = expected === 'retail' ? 'Windows(R) Operating System, VOLUME_KMSCLIENT channel' : misleading;
    expect(channelOf(description, pkc)).toBe(expected);
  });

  it.each(['', '   ', null, undefined])('an empty ProductKeyChannel (%j) falls back to Description', (pkc) => {
    expect(channelOf('Windows(R) Operating System, VOLUME_KMS_C channel', pkc)).toBe('kms-host');
    expect(channelOf('', pkc)).toBe('unknown');
  });
});

describe('channelLabel', () => {
  it('labels every channel differently', () => {
    const labels = CHANNELS.map(channelLabel);
    expect(new Set(labels).size).toBe(CHANNELS.length);
    expect(channelLabel('kms-client')).toBe('KMS client (GVLK)');
    expect(channelLabel('kms-host')).toBe('KMS host (CSVLK)');
  });
});
