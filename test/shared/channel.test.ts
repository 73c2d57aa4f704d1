import { describe, expect, it } from 'vitest';
import { CHANNELS, channelLabel, channelOf, type ChannelName } from '../../shared/channel.js';
import { OFFICE_KMS_THRESHOLD, applicationOf, officeKmsClientSku, thresholdForProduct } from '../../shared/kms-rules.js';

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

describe('applicationOf and the Office KMS client table', () => {
  it.each([
    ['55c92734-d682-4d71-983e-d6ec3f16059f', 'windows'],
    ['{55C92734-D682-4D71-983E-D6EC3F16059F}', 'windows'],
    ['0ff1ce15-a989-479d-af46-f275c6370663', 'office'],
    ['59a52881-a989-479d-af46-f275c6370663', 'office'],
    ['00000000-0000-0000-0000-000000000000', 'other'],
    ['', 'other'],
  ] as const)('%s is %s', (id, app) => {
    expect(applicationOf(id)).toBe(app);
  });

  it('names the Office LTSC 2021 Professional Plus KMS client by its activation id, with its threshold 5', () => {
    expect(officeKmsClientSku('FBDB3E18-A8EF-4FB3-9183-DFFD60BD0984')).toMatchObject({ name: 'Office LTSC Professional Plus 2021', gvlkTail: '6F7TH', release: 2021 });
    expect(officeKmsClientSku('73111121-5638-40f6-bc11-f1d7b0d64300')).toBeUndefined();
    expect(thresholdForProduct('office', 'client')).toBe(OFFICE_KMS_THRESHOLD);
    expect(thresholdForProduct('windows', 'client')).toBe(25);
  });

  it('has the AD-based channel, labelled for people', () => {
    expect(channelLabel('ad-based')).toBe('AD-based');
  });
});
