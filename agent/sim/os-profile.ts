/**
 * The Windows editions a simulated machine can run, with the strings Windows itself reports for them: the Volume
 * Activation 2.0 generation (Vista / Server 2008, reference section 7), one Windows 7 profile, and today's Windows 10 /
 * 11 and Server 2016-2025 (shared/FACTS.md lists where each string and figure comes from).
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
/**
 * `modern`: Windows 8 and later (here Windows 10 / 11, Server 2016-2025): the Win8+ property layout
 * (ProductKeyChannel, VLActivationType, ADActivation*, RemainingSkuReArmCount, the KMS counters per host product),
 * Description spelt `Windows(R) Operating System, VOLUME_KMSCLIENT channel`, volume Office and AD-based activation.
 */
export type OsGeneration = 'vista' | 'win7' | 'modern';

export const OS_PROFILE_NAMES = [
  'vista-business',
  'vista-enterprise-sp1',
  'server-2008-standard',
  'server-2008-enterprise',
  'win7-enterprise',
  'win10-22h2-enterprise',
  'win10-22h2-education',
  'win11-23h2-enterprise',
  'win11-23h2-education',
  'win11-24h2-enterprise',
  'win11-24h2-education',
  'server-2016-standard',
  'server-2016-datacenter',
  'server-2019-standard',
  'server-2019-datacenter',
  'server-2022-standard',
  'server-2022-datacenter',
  'server-2025-standard',
  'server-2025-datacenter',
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
  /** Rearms a fresh install has: 3, or 5 for Vista Enterprise SP1 (reference section 7); 1001 on Windows 10+. */
  rearms: number;
  /** The channel token of this version's KMS host key (CSVLK) in Description; absent: the generic one. */
  hostChannelToken?: string;
}

const VISTA_SERVICE_VERSION = '6.0.6001.18000';
const WIN7_SERVICE_VERSION = '6.1.7601.17514';

/** Windows 10+ /dlv shows 1000-1001 rearms (reference 5, third-party outputs). */
const REARMS_WIN10_PLUS = 1001;
const MODERN_PREFIX = 'Windows(R) Operating System';

function modern(
  name: OsProfileName,
  kind: 'client' | 'server',
  caption: string,
  version: string,
  serviceVersion: string,
  productName: string,
  gvlkActivationId: string,
  gvlkTail: string,
  hostChannelToken?: string,
): OsProfile {
  return {
    name,
    kind,
    generation: 'modern',
    caption,
    version,
    serviceVersion,
    productName,
    descriptionPrefix: MODERN_PREFIX,
    gvlkActivationId,
    gvlkTail,
    // Microsoft documents a 30-day initial grace for KMS clients; for Server 2012+ it is unverified (shared/FACTS.md).
    oobGraceDays: OOB_GRACE_CLIENT_DAYS,
    rearms: REARMS_WIN10_PLUS,
    ...(hostChannelToken ? { hostChannelToken } : {}),
  };
}

// Activation ids: public activation scripts; GVLK last fives: Microsoft's "KMS client activation and product keys".
const WIN_ENTERPRISE = ['73111121-5638-40f6-bc11-f1d7b0d64300', '2YT43'] as const;
const WIN_EDUCATION = ['e0c42288-980c-4788-a014-c080d2e1926e', 'VCFB2'] as const;

/** Today's Windows: 10 22H2, 11 23H2 / 24H2 Enterprise and Education, Server 2016-2025 Standard and Datacenter. */
export const MODERN_PROFILES = {
  'win10-22h2-enterprise': modern('win10-22h2-enterprise', 'client', 'Microsoft Windows 10 Enterprise', '10.0.19045', '10.0.19041.5794', 'Windows(R), Enterprise edition', ...WIN_ENTERPRISE),
  'win10-22h2-education': modern('win10-22h2-education', 'client', 'Microsoft Windows 10 Education', '10.0.19045', '10.0.19041.5794', 'Windows(R), Education edition', ...WIN_EDUCATION),
  'win11-23h2-enterprise': modern('win11-23h2-enterprise', 'client', 'Microsoft Windows 11 Enterprise', '10.0.22631', '10.0.22621.5189', 'Windows(R), Enterprise edition', ...WIN_ENTERPRISE),
  'win11-23h2-education': modern('win11-23h2-education', 'client', 'Microsoft Windows 11 Education', '10.0.22631', '10.0.22621.5189', 'Windows(R), Education edition', ...WIN_EDUCATION),
  'win11-24h2-enterprise': modern('win11-24h2-enterprise', 'client', 'Microsoft Windows 11 Enterprise', '10.0.26100', '10.0.26100.4061', 'Windows(R), Enterprise edition', ...WIN_ENTERPRISE),
  'win11-24h2-education': modern('win11-24h2-education', 'client', 'Microsoft Windows 11 Education', '10.0.26100', '10.0.26100.4061', 'Windows(R), Education edition', ...WIN_EDUCATION),
  'server-2016-standard': modern('server-2016-standard', 'server', 'Microsoft Windows Server 2016 Standard', '10.0.14393', '10.0.14393.7969', 'Windows(R), ServerStandard edition', '8c1c5410-9f39-4805-8c9d-63a07706358f', 'KHKQY', 'VOLUME_KMS_WS16'),
  'server-2016-datacenter': modern('server-2016-datacenter', 'server', 'Microsoft Windows Server 2016 Datacenter', '10.0.14393', '10.0.14393.7969', 'Windows(R), ServerDatacenter edition', '21c56779-b449-4d20-adfc-eece0e1ad74b', '8XDDG', 'VOLUME_KMS_WS16'),
  'server-2019-standard': modern('server-2019-standard', 'server', 'Microsoft Windows Server 2019 Standard', '10.0.17763', '10.0.17763.7240', 'Windows(R), ServerStandard edition', 'de32eafd-aaee-4662-9444-c1befb41bde2', 'J464C', 'VOLUME_KMS_WS19'),
  'server-2019-datacenter': modern('server-2019-datacenter', 'server', 'Microsoft Windows Server 2019 Datacenter', '10.0.17763', '10.0.17763.7240', 'Windows(R), ServerDatacenter edition', '34e1ae55-27f8-4950-8877-7a03be5fb181', '63DFG', 'VOLUME_KMS_WS19'),
  'server-2022-standard': modern('server-2022-standard', 'server', 'Microsoft Windows Server 2022 Standard', '10.0.20348', '10.0.20348.3561', 'Windows(R), ServerStandard edition', '9bd77860-9b31-4b7b-96ad-2564017315bf', 'VMK7H', 'VOLUME_KMS_WS22'),
  'server-2022-datacenter': modern('server-2022-datacenter', 'server', 'Microsoft Windows Server 2022 Datacenter', '10.0.20348', '10.0.20348.3561', 'Windows(R), ServerDatacenter edition', 'ef6cfc9f-8c5d-44ac-9aad-de6a2ea0ae03', '6VM33', 'VOLUME_KMS_WS22'),
  'server-2025-standard': modern('server-2025-standard', 'server', 'Microsoft Windows Server 2025 Standard', '10.0.26100', '10.0.26100.4061', 'Windows(R), ServerStandard edition', '7dc26449-db21-4e09-ba37-28f2958506a6', 'MY832', 'VOLUME_KMS_WS25'),
  'server-2025-datacenter': modern('server-2025-datacenter', 'server', 'Microsoft Windows Server 2025 Datacenter', '10.0.26100', '10.0.26100.4061', 'Windows(R), ServerDatacenter edition', 'c052f164-cdf6-409a-a0cb-853ba0f0f55a', 'YP6DF', 'VOLUME_KMS_WS25'),
} as const satisfies Partial<Record<OsProfileName, OsProfile>>;

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
  ...MODERN_PROFILES,
};

/** The licensing channel of the installed Windows key. */
export type KeyChannel = 'kms-client' | 'mak' | 'kms-host';

/** The channel token Windows puts in Description (`… , VOLUME_KMSCLIENT channel`). */
export function channelToken(channel: KeyChannel, profile: OsProfile): string {
  if (channel === 'kms-client') return 'VOLUME_KMSCLIENT';
  if (channel === 'mak') return 'VOLUME_MAK';
  if (profile.hostChannelToken) return profile.hostChannelToken;
  // A Server 2008 Standard/Enterprise host key is KMS group B (reference section 7); the exact token of a client-OS
  // host is not in the reference, so it gets the bare prefix every host token shares.
  return profile.kind === 'server' ? 'VOLUME_KMS_B' : 'VOLUME_KMS';
}

/** ProductKeyChannel (Win8+ only) of a key on a channel: `Volume:GVLK`, `Volume:MAK`, `Volume:CSVLK`. */
export function productKeyChannelOf(channel: KeyChannel): string {
  return channel === 'kms-client' ? 'Volume:GVLK' : channel === 'mak' ? 'Volume:MAK' : 'Volume:CSVLK';
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
