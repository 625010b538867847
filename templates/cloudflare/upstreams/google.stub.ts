// A stand-in for the identity provider, here Google: ./openid-connect-stub.ts on
// 127.0.0.1, its discovery document, keys, authorize page, token endpoint and userinfo.
// ./harness.ts points the Worker at it.
import { startIssuerStub, type OidcStub } from "./openid-connect-stub.ts";

export type { IdTokenFault, OidcStub } from "./openid-connect-stub.ts";

export function startUpstreamStub(): Promise<OidcStub> {
  return startIssuerStub("GOOGLE");
}
