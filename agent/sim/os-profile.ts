/**
 * The Windows editions a simulated machine can run, with the strings Windows itself reports for them. The simulator
 * follows the Volume Activation 2.0 generation (Vista / Server 2008, reference section 7); one Windows 7 profile shows
 * the later spelling and property layout.
 */
import {
  OOB_GRACE_CLIENT_DAYS,
  OOB_GRACE_SERVER_DAYS,
  REARMS_DEFAULT,
  REARMS_ENTERPRISE_SP1,
} from '../../shared/kms-rules.js';
import type { OsKind } from '../../shared/windows-product.js';
import { Prng } from './prng.js';

/**
 * `vista`: Vista / Server 2008 (VA 2.0, slsvc): `SoftwareLicensingProduct` has only its first 18 properties and the KMS
 * settings and counters live on `SoftwareLicensingService`; events come from Security-Licensing-SLC.
 * `win7`: Windows 7 (sppsvc): the KMS properties are on the product as well; events come from Security-SPP.
 */
export type OsGeneration = 'vista' | 'win7';

export const OS_PROFILE_NAMES = [
  'vista-business',
  'vista-enterprise-sp1',
  'server-2008-standard',
  'server-2008-enterprise',
  'win7-enterprise',
] as const;
export type OsProfileName = (typeof OS_PROFILE_NAMES)[number];

export interface OsProfile {
  name: OsProfileName;
  kind: OsKind;
  generation: OsGeneration;
  /** Win32_OperatingSystem.Caption / Version. */
  caption: string;
  version: string;
  /** SoftwareLicensingService.Version. */
  serviceVersion: string;
  /** SoftwareLicensingProduct.Name of the Windows SKU. */
  productName: string;
  /** The part of Description before the channel token, in this generation's spelling. */
  descriptionPrefix: string;
  /** The KMS client (GVLK) SKU's activation id and the last five characters of its public GVLK. */
  gvlkActivationId: string;
  gvlkTail: string;
  /** Initial (OOB) grace: 30 days for Vista-class clients, 60 for Server 2008 (reference section 7). */
  oobGraceDays: number;
  /** Rearms a fresh install has: 3, or 5 for Vista Enterprise SP1 (reference section 7). */
  rearms: number;
}

const VISTA_SERVICE_VERSION = '6.0.6001.18000';
const WIN7_SERVICE_VERSION = '6.1.7601.17514';

export const OS_PROFILES: Readonly<Record<OsProfileName, OsProfile>> = {
  'vista-business': {
    name: 'vista-business',
    kind: 'client',
    generation: 'vista',
    caption: 'Microsoft® Windows Vista™ Business',
    version: '6.0.6001',
    serviceVersion: VISTA_SERVICE_VERSION,
    productName: 'Windows(TM) Vista, Business edition',
    descriptionPrefix: 'Windows Operating System - Vista',
    gvlkActivationId: '4f3d1606-3fea-4c01-be3c-8d671c401e3b',
    gvlkTail: '2V3X8',
    oobGraceDays: OOB_GRACE_CLIENT_DAYS,
    rearms: REARMS_DEFAULT,
  },
  'vista-enterprise-sp1': {
    name: 'vista-enterprise-sp1',
    kind: 'client',
    generation: 'vista',
    caption: 'Microsoft® Windows Vista™ Enterprise',
    version: '6.0.6001',
    serviceVersion: VISTA_SERVICE_VERSION,
    productName: 'Windows(TM) Vista, Enterprise edition',
    descriptionPrefix: 'Windows Operating System - Vista',
    gvlkActivationId: 'cfd8ff08-c0d7-452b-9f60-ef5c70c32094',
    gvlkTail: '4BWMV',
    oobGraceDays: OOB_GRACE_CLIENT_DAYS,
    rearms: REARMS_ENTERPRISE_SP1,
  },
  'server-2008-standard': {
    name: 'server-2008-standard',
    kind: 'server',
    generation: 'vista',
    caption: 'Microsoft® Windows Server® 2008 Standard',
    version: '6.0.6001',
    serviceVersion: VISTA_SERVICE_VERSION,
    productName: 'Windows Server(R), ServerStandard edition',
    descriptionPrefix: 'Windows Operating System - Windows Server(R)',
    gvlkActivationId: 'ad2542d4-9154-4c6d-8a44-30f11ee96989',
    gvlkTail: 'BFGM2',
    oobGraceDays: OOB_GRACE_SERVER_DAYS,
    rearms: REARMS_DEFAULT,
  },
  'server-2008-enterprise': {
    name: 'server-2008-enterprise',
    kind: 'server',
    generation: 'vista',
    caption: 'Microsoft® Windows Server® 2008 Enterprise',
    version: '6.0.6001',
    serviceVersion: VISTA_SERVICE_VERSION,
    productName: 'Windows Server(R), ServerEnterprise edition',
    descriptionPrefix: 'Windows Operating System - Windows Server(R)',
    gvlkActivationId: 'c1af4d90-d1bc-44ca-85d4-003ba33db3b9',
    gvlkTail: 'X4Q6V',
    oobGraceDays: OOB_GRACE_SERVER_DAYS,
    rearms: REARMS_DEFAULT,
  },
  'win7-enterprise': {
    name: 'win7-enterprise',
    kind: 'client',
    generation: 'win7',
    caption: 'Microsoft Windows 7 Enterprise',
    version: '6.1.7601',
    serviceVersion: WIN7_SERVICE_VERSION,
    productName: 'Windows(R) 7, Enterprise edition',
    descriptionPrefix: 'Windows Operating System - Windows(R) 7',
    gvlkActivationId: 'ae2ee509-1b34-41c0-acb7-6d4650168915',
    gvlkTail: 'HVTHH',
    oobGraceDays: OOB_GRACE_CLIENT_DAYS,
    rearms: REARMS_DEFAULT,
  },
};

/** The licensing channel of the installed Windows key. */
export type KeyChannel = 'kms-client' | 'mak' | 'kms-host';

/** The channel token Windows puts in Description (`… , VOLUME_KMSCLIENT channel`). */
export function channelToken(channel: KeyChannel, profile: OsProfile): string {
  if (channel === 'kms-client') return 'VOLUME_KMSCLIENT';
  if (channel === 'mak') return 'VOLUME_MAK';
  // A Server 2008 Standard/Enterprise host key is KMS group B (reference section 7); the exact token of a client-OS
  // host is not in the reference, so it gets the bare prefix every host token shares.
  return profile.kind === 'server' ? 'VOLUME_KMS_B' : 'VOLUME_KMS';
}

/**
 * The SKU id of a profile's licence on a channel. The GVLK SKUs carry their public ids; MAK and KMS-host SKUs are
 * separate licences whose ids the reference does not list, so they get stable stand-ins derived from the name.
 */
export function activationIdOf(channel: KeyChannel, profile: OsProfile): string {
  if (channel === 'kms-client') return profile.gvlkActivationId;
  let h = 2166136261;
  for (const ch of `${profile.name}/${channel}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return new Prng(h >>> 0).guid();
}
