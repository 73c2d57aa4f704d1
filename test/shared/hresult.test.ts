import { describe, expect, it } from 'vitest';
import {
  HRESULT_CATALOGUE,
  SL_VL_BINDING_STATUS_INVALID_REGISTRATION_DATA_TYPE,
  SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT,
  SL_VL_BINDING_STATUS_NOT_WINDOWS_SLP,
  SL_VL_BINDING_STATUS_NO_BINDING_SERVER_REGISTRATION,
  SL_VL_BINDING_STATUS_OTHER_PC,
  decodeStatusFlags,
  describeHresult,
  findHresultIn,
  formatHresult,
  hresultHex,
  isFailureHresult,
  parseHresult,
  type HresultSide,
} from '../../shared/hresult.js';

// Every code of volume-activation.md 1.4, 3 and the two 8198 codes of 2.3, with the side the reference gives
// ("client/host" and "KMS" read as any / host).
const REFERENCE_CODES: Array<[string, HresultSide]> = [
  // 1.4 LicenseStatusReason values
  ['0xC004F009', 'any'],
  ['0xC004F00F', 'any'],
  ['0xC004F200', 'any'],
  ['0xC004F064', 'any'],
  ['0xC004F056', 'client'],
  // 3 activation error codes
  ['0xC004F074', 'client'],
  ['0xC004F038', 'client'],
  ['0xC004F039', 'client'],
  ['0xC004F041', 'client'],
  ['0xC004F042', 'client'],
  ['0xC004F06C', 'client'],
  ['0xC004F035', 'any'],
  ['0xC004F06B', 'host'],
  ['0xC004C008', 'host'],
  ['0xC004C001', 'mak'],
  ['0xC004C003', 'mak'],
  ['0xC004B100', 'mak'],
  ['0xC004C020', 'mak'],
  ['0xC004C021', 'mak'],
  ['0xC004F050', 'any'],
  ['0xC004F051', 'any'],
  ['0xC004F065', 'any'],
  ['0xC004F014', 'any'],
  ['0xC004D307', 'any'],
  ['0x8007232B', 'client'],
  ['0x8007007B', 'client'],
  ['0x80092328', 'client'],
  ['0x8007232A', 'host'],
  ['0x8007251D', 'client'],
  ['0x800706BA', 'client'],
  ['0x80070005', 'any'],
  ['0xC004F025', 'any'],
  ['0x80072338', 'host'],
  // 2.3: 8198 with these = KMS host unreachable
  ['0xC0020017', 'client'],
  ['0x8007139F', 'client'],
];

describe('the HRESULT catalogue covers every code of the reference', () => {
  it.each(REFERENCE_CODES)('%s is catalogued with meaning, cause, action (side %s)', (hex, side) => {
    const code = Number.parseInt(hex.slice(2), 16);
    const info = describeHresult(code);
    expect(info.known).toBe(true);
    expect(info.code).toBe(code);
    expect(info.hex).toBe(hex);
    expect(info.side).toBe(side);
    for (const text of [info.name, info.meaning, info.cause, info.action]) expect(text.trim().length).toBeGreaterThan(3);
    // A concrete step: a command in backticks, the phone activation or the licensing portal.
    expect(info.action).toMatch(/`[^`]+`|Volume Licensing Service Center|Activation Center/);
  });

  it('holds each code once, with its hex spelled the same way', () => {
    const codes = HRESULT_CATALOGUE.map((e) => e.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const e of HRESULT_CATALOGUE) expect(e.hex).toBe(formatHresult(e.code));
  });

  it.each([
    ['0xC004F038', /count/i],
    ['0xC004F06C', /4 hours/],
    ['0x8007232B', /_vlmcs\._tcp/],
    ['0xC004F039', /1688/],
    ['0x80072338', /_VLMCS/],
    ['0xC004D307', /rearm/i],
  ])('%s says what it is about (%s)', (hex, pattern) => {
    const info = describeHresult(parseHresult(hex)!);
    expect(`${info.meaning} ${info.cause} ${info.action}`).toMatch(pattern);
  });

  it('gives a generic entry for a code it does not know', () => {
    const info = describeHresult(0xc0041234);
    expect(info).toMatchObject({ known: false, code: 0xc0041234, hex: '0xC0041234', side: 'any' });
    expect(info.name).toContain('0xC0041234');
    expect(describeHresult(0).known).toBe(true);
  });

  it('reads a negative int32 the same as its unsigned twin', () => {
    expect(describeHresult(-1073418225)).toBe(describeHresult(0xc004f00f));
  });
});

describe('catalogue entries beyond the reference', () => {
  it.each<[number, string, boolean]>([
    [0x4004f00c, 'SL_I_OOB_GRACE_PERIOD', false],
    [0x4004f00d, 'SL_I_OOT_GRACE_PERIOD', false],
    [0x4004f040, 'SL_E_VL_INFO_PRODUCT_USER_RIGHT', false],
    [0x4004f065, 'SL_I_NONGENUINE_GRACE_PERIOD', false],
    [0xc004f038, 'SL_E_VL_NOT_ENOUGH_COUNT', true],
    [0xc004f074, 'SL_E_VL_BINDING_SERVICE_UNAVAILABLE', true],
  ])('%i is %s (failure: %s)', (code, symbol, failure) => {
    const info = describeHresult(code);
    expect(info.known).toBe(true);
    expect(info.symbol).toBe(symbol);
    expect(isFailureHresult(code)).toBe(failure);
  });
});

describe('formatHresult', () => {
  it.each([
    [0, '0x00000000'],
    [3221549071, '0xC004F00F'],
    [-1073418225, '0xC004F00F'],
    [0x4000000, '0x04000000'],
    [0xc004f06c, '0xC004F06C'],
    [4294967295, '0xFFFFFFFF'],
  ])('%s → %s', (n, hex) => {
    expect(formatHresult(n)).toBe(hex);
  });
});

describe('hresultHex (the read API\'s …Hex fields)', () => {
  it.each([
    [3221549112, '0xC004F038'],
    [0, '0x00000000'],
    [null, null],
    [undefined, null],
  ])('%s → %s', (n, hex) => expect(hresultHex(n)).toBe(hex));
});

describe('parseHresult', () => {
  it.each<[string | number, number]>([
    ['0x0', 0],
    ['0x00000000', 0],
    ['0xC004F06C', 0xc004f06c],
    ['0xc004f06c', 0xc004f06c],
    ['0x4000000', 0x04000000],
    ['hr=0xC004F074', 0xc004f074],
    ['HR = 0xC004F074', 0xc004f074],
    [' 0xC004F00F ', 3221549071],
    ['0xC004F00F.', 3221549071],
    ['3221549071', 3221549071],
    ['-1073418225', 3221549071],
    [-1073418225, 3221549071],
    [3221549071, 3221549071],
    [0, 0],
    ['0', 0],
    [-2147483648, 0x80000000],
  ])('%j → %i', (input, expected) => {
    expect(parseHresult(input)).toBe(expected);
  });

  it.each<[unknown]>([
    [''],
    ['abc'],
    ['0x'],
    ['0xZZ'],
    ['0x123456789'],
    ['hr='],
    ['1.5'],
    ['4294967296'],
    ['-2147483649'],
    [4294967296],
    [-2147483649],
    [1.5],
    [Number.NaN],
    [null],
    [undefined],
  ])('%j → null', (input) => {
    expect(parseHresult(input as string)).toBeNull();
  });

  it('round-trips every catalogued code through its hex and its int32 form', () => {
    for (const { code } of HRESULT_CATALOGUE) {
      expect(parseHresult(formatHresult(code))).toBe(code);
      expect(parseHresult(code | 0)).toBe(code);
      expect(parseHresult(String(code | 0))).toBe(code);
    }
  });
});

describe('findHresultIn and isFailureHresult', () => {
  it.each<[string, number | null]>([
    ['Error: 0xC004F074 The Software Licensing Service reported that the computer could not be activated.', 0xc004f074],
    ['License Activation (slui.exe) failed with the following error code:\nhr=0xC004F074\nCommand-line arguments:', 0xc004f074],
    ['Notification Reason: 0xC004F00F.', 0xc004f00f],
    ['no code here', null],
    ['0x123456789 is too long', null],
  ])('%j → %s', (text, expected) => {
    expect(findHresultIn(text)).toBe(expected);
  });

  it.each([
    [0, false],
    [0x04000000, false],
    [0xc004f074, true],
    [0x8007232b, true],
    [-1073418225, true],
  ])('%s is a failure: %s', (n, failure) => {
    expect(isFailureHresult(n)).toBe(failure);
  });
});

describe('status flags of 12288 / 12289 (SL_VL_BINDING_STATUS_*)', () => {
  it('has the documented values', () => {
    expect([
      SL_VL_BINDING_STATUS_OTHER_PC,
      SL_VL_BINDING_STATUS_NO_BINDING_SERVER_REGISTRATION,
      SL_VL_BINDING_STATUS_INVALID_REGISTRATION_DATA_TYPE,
      SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT,
      SL_VL_BINDING_STATUS_NOT_WINDOWS_SLP,
    ]).toEqual([0x00000008, 0x01000000, 0x02000000, 0x04000000, 0x08000000]);
  });

  it.each<[number, string[], number, boolean]>([
    [0, [], 0, false],
    [0x04000000, ['SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT'], 0, true],
    [0x04000008, ['SL_VL_BINDING_STATUS_OTHER_PC', 'SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT'], 0, true],
    [0x00000008, ['SL_VL_BINDING_STATUS_OTHER_PC'], 0, false],
    [
      0x0f000008,
      [
        'SL_VL_BINDING_STATUS_OTHER_PC',
        'SL_VL_BINDING_STATUS_NO_BINDING_SERVER_REGISTRATION',
        'SL_VL_BINDING_STATUS_INVALID_REGISTRATION_DATA_TYPE',
        'SL_VL_BINDING_STATUS_NOT_ENOUGH_COUNT',
        'SL_VL_BINDING_STATUS_NOT_WINDOWS_SLP',
      ],
      0,
      true,
    ],
    [0x80000010, [], 0x80000010, false],
  ])('%i decodes to %j', (n, names, unknownBits, notEnoughCount) => {
    const d = decodeStatusFlags(n);
    expect(d.flags.map((f) => f.name)).toEqual(names);
    expect(d.unknownBits).toBe(unknownBits);
    expect(d.notEnoughCount).toBe(notEnoughCount);
  });
});
