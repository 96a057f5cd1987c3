/**
 * Keap's OAuth2 token endpoint: exchanging an authorization code, and refreshing. Keap rotates the
 * refresh token on every refresh (the old one stops working), so callers must serialise refreshes
 * per connection and store the new pair before anything else happens. Every failure is a
 * KeapApiError (errors.ts); a refused grant is its InvalidGrantError.
 */
import { InvalidGrantError, KeapApiError, errorFromFetchFailure } from './errors';

export const KEAP_TOKEN_URL = 'https://api.infusionsoft.com/token';

export interface OAuthClientConfig {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** Seconds the access token lives. */
  expiresIn: number;
}

interface TokenResponse {
  access_token?: unknown;
  refresh_token?: unknown;
  expires_in?: unknown;
  error?: unknown;
  error_description?: unknown;
}

export class KeapOAuthClient {
  constructor(
    private readonly config: OAuthClientConfig,
    private readonly options: { timeoutMs?: number; fetch?: typeof fetch } = {},
  ) {}

  exchangeCode(code: string, redirectUri: string): Promise<TokenSet> {
    return this.request('exchangeAuthorizationCode', {
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
      client_id: this.config.clientId,
      client_secret: this.config.clientSecret,
    });
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.request('refreshAccessToken', { grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  private async request(operation: string, form: Record<string, string>): Promise<TokenSet> {
    const basic = Buffer.from(`${this.config.clientId}:${this.config.clientSecret}`).toString('base64');
    const timeout = AbortSignal.timeout(this.options.timeoutMs ?? 15_000);
    let response: Response;
    let body: TokenResponse;
    try {
      response = await (this.options.fetch ?? fetch)(this.config.tokenUrl, {
        method: 'POST',
        headers: {
          Accept: 'application/json',
          'Content-Type': 'application/x-www-form-urlencoded',
          Authorization: `Basic ${basic}`,
        },
        body: new URLSearchParams(form).toString(),
        signal: timeout,
      });
      const text = await response.text();
      body = text ? (JSON.parse(text) as TokenResponse) : {};
    } catch (error) {
      throw errorFromFetchFailure(operation, error, timeout.aborted);
    }
    const reason =
      typeof body.error_description === 'string'
        ? body.error_description
        : typeof body.error === 'string'
          ? body.error
          : '';
    if (response.ok) {
      const { access_token, refresh_token, expires_in } = body;
      if (typeof access_token !== 'string' || typeof refresh_token !== 'string' || typeof expires_in !== 'number') {
        throw new KeapApiError('server', operation, `Keap ${operation} answered without a token pair`, response.status);
      }
      return { accessToken: access_token, refreshToken: refresh_token, expiresIn: expires_in };
    }
    if (body.error === 'invalid_grant')
      throw new InvalidGrantError(operation, `Keap refused the grant: ${reason}`, response.status);
    const kind = response.status === 429 ? 'rate_limited' : response.status >= 500 ? 'server' : 'unauthorized';
    // Never include the request: it carries the client secret and tokens.
    throw new KeapApiError(
      kind,
      operation,
      `Keap ${operation} failed with ${response.status}: ${reason}`,
      response.status,
    );
  }
}
