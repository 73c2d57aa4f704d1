/** The licensing event ids vawatch reads, by what they mean. */
export const EVENT_ID = {
  /** 12288 (client, Application): the client sent an activation request to a KMS host. */
  ACTIVATION_REQUEST: 12288,
  /** 12289 (client, Application): the client processed the KMS host's response. */
  ACTIVATION_RESPONSE: 12289,
  /** 12290 (host, "Key Management Service" log): the host processed an activation request. */
  KMS_REQUEST: 12290,
  /** 12291 (host, Application): the Key Management Service failed to initialize. */
  KMS_INIT_FAILURE: 12291,
  /** 12292 (host, Application): the Key Management Service failed to initialize its renewal timer. */
  KMS_RENEWAL_TIMER_FAILURE: 12292,
  /** 12308 (client, Application): a product was activated by an Active Directory activation object. */
  AD_ACTIVATION: 12308,
  /** 12293 (host, Application): publishing the `_vlmcs._tcp` SRV record failed. */
  DNS_PUBLISH_FAILED: 12293,
  /** 12294 (host, Application): publishing the `_vlmcs._tcp` SRV record succeeded. */
  DNS_PUBLISH_SUCCEEDED: 12294,
  /** 8198 (Application): license activation (slui.exe) failed. */
  ACTIVATION_FAILED: 8198,
  /** 1003 (Application): the Software Protection service completed a licensing status check. */
  STATUS_CHECK: 1003,
} as const;

export type EventId = (typeof EVENT_ID)[keyof typeof EVENT_ID];
