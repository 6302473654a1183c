/** People and apps the simulated directory knows. */
export interface SimAccount {
  oid: string;
  username: string;
  displayName: string;
  tenantId: string;
  /** The mailbox's time zone (mailboxSettings.timeZone), a Windows name as Exchange defaults to. */
  timeZone: string;
}

export interface SimApp {
  clientId: string;
  clientSecret: string;
  /** Empty: any redirect URI is accepted (handy in tests). */
  redirectUris: string[];
}

export const DEV_TENANT_ID = '8f2c2a4e-1d7b-4c55-9e0a-5b3f4f0d2a11';
export const OTHER_TENANT_ID = '0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f';

export const DEMO_ACCOUNTS: readonly SimAccount[] = [
  {
    oid: '6e1f4c7a-0d6b-4a43-9a0f-2b7e1c5d9a01',
    username: 'megan.bowen@contoso.example',
    displayName: 'Megan Bowen',
    tenantId: DEV_TENANT_ID,
    timeZone: 'Pacific Standard Time',
  },
  {
    oid: '0b3a9e52-7c1d-4f8e-b2a4-6d5c3e1f7a02',
    username: 'adele.vance@contoso.example',
    displayName: 'Adele Vance',
    tenantId: DEV_TENANT_ID,
    timeZone: 'W. Europe Standard Time',
  },
  {
    oid: 'c4d2e8f1-5a6b-4c7d-9e0f-1a2b3c4d5e03',
    username: 'guest@fabrikam.example',
    displayName: 'Fabrikam Guest',
    tenantId: OTHER_TENANT_ID,
    timeZone: 'UTC',
  },
];
