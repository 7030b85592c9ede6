using FluentValidation;
using UnhostedStore.Accounts;
using UnhostedStore.Persistence;

namespace UnhostedStore.Authorization;

/// <summary>What a person asks for when creating an app password; as typed, parsed here.</summary>
public sealed record AppPasswordRequest(string? Name, string? Scopes, int? ExpiresDays)
{
    /// <summary>Scopes as typed: separated by spaces (RFC 6749 §3.3), commas tolerated.</summary>
    public IEnumerable<string> ScopeParts =>
        (Scopes ?? string.Empty).Split([' ', ',', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>The form's rules, with messages a person can act on.</summary>
public sealed class AppPasswordRequestValidator : AbstractValidator<AppPasswordRequest>
{
    public AppPasswordRequestValidator()
    {
        RuleFor(r => r.Name).Cascade(CascadeMode.Stop)
            .Must(n => !string.IsNullOrWhiteSpace(n))
            .WithMessage("Give the app password a name, for example the program that will use it.")
            .Must(n => n!.Trim().Length <= AppPasswords.MaxNameLength)
            .WithMessage($"The name can be at most {AppPasswords.MaxNameLength} characters long.")
            .Must(n => !n!.Any(char.IsControl))
            .WithMessage("The name can't contain line breaks or other control characters.");

        RuleFor(r => r.Scopes).Custom((text, context) =>
        {
            var request = context.InstanceToValidate;
            var parts = request.ScopeParts.ToList();
            if (parts.Count == 0)
            {
                context.AddFailure("Say what the app password may use, for example notes:rw.");
                return;
            }

            if (text!.Length > AppPasswords.MaxScopesLength)
            {
                context.AddFailure($"The list of modules is too long: at most {AppPasswords.MaxScopesLength} characters.");
                return;
            }

            // draft-26 §9: the same scopes as an app's, <module>:r or <module>:rw, * for all.
            foreach (var part in parts)
            {
                if (!Scope.TryParse(part, out _))
                {
                    var shown = part.Length > 40 ? part[..40] + "…" : part;
                    context.AddFailure($"\"{shown}\" is not a module and access. Write each as module:r (read only) or module:rw (read and write), separated by spaces, for example notes:rw contacts:r. Use *:r or *:rw for everything.");
                    return;
                }
            }
        });

        RuleFor(r => r.ExpiresDays)
            .Must(d => d is { } days && AppPasswords.ExpiryChoices.Contains(days))
            .WithMessage("Choose how long the app password works: 30 days, 90 days, 1 year or until you revoke it.");
    }
}

/// <summary>A new app password: its token (shown once, only its hash is kept) and what it may do.</summary>
public sealed record AppPasswordCreated(string Token, string AuthorizationId, string Name, ScopeSet Scopes, DateTime? ExpiresUtc);

/// <summary>Either the new app password, or what was wrong (by field: Name, Scopes, ExpiresDays, or "" for the whole).</summary>
public sealed record AppPasswordOutcome(AppPasswordCreated? Created, IReadOnlyList<KeyValuePair<string, string>> Errors)
{
    public bool Succeeded => Created is not null;
}

/// <summary>
/// App passwords: bearer tokens for programs that can't do the browser OAuth flow (backup
/// scripts, sync tools, command-line clients). Each is an ordinary grant (an OpenIddict
/// authorization of the one synthetic client <see cref="Origin"/>, named by its owner) with an
/// ordinary reference access token minted like <c>tokens issue</c> (<see cref="OperatorTokens"/>):
/// stored hashed, validated, cached, revoked and counted as "last used" exactly as an app's, so
/// storage (RFC 6750 §2.1 bearer only) knows no difference and revoking it takes effect at the
/// next request on every instance.
/// </summary>
public sealed class AppPasswords(
    OperatorTokens tokens,
    Grants grants,
    StorageDbContext db,
    IValidator<AppPasswordRequest> validator,
    TimeProvider clock)
{
    /// <summary>The client every app password belongs to. <c>.invalid</c> never resolves
    /// (RFC 6761 §6.4), and consent never reuses an app password's grant.</summary>
    public const string Origin = "https://app-passwords.invalid";

    public const int MaxNameLength = 64;

    public const int MaxScopesLength = 1000;

    /// <summary>Valid app passwords one person may have at once.</summary>
    public const int MaxActive = 50;

    /// <summary>Lifetimes offered, in days; 0 is until revoked.</summary>
    public static readonly int[] ExpiryChoices = [30, 90, 365, 0];

    private static readonly ClientOrigin Client =
        ClientOrigin.TryParse(Origin, out var origin, out _) ? origin! : throw new InvalidOperationException("bad app password origin");

    public static string DescribeExpiry(int days) => days switch
    {
        0 => "Until I revoke it",
        365 => "1 year",
        _ => days + " days",
    };

    public async Task<AppPasswordOutcome> CreateAsync(string user, AppPasswordRequest request, CancellationToken ct)
    {
        var validation = await validator.ValidateAsync(request, ct);
        if (!validation.IsValid)
        {
            return Failed(validation.Errors.Select(e => KeyValuePair.Create(e.PropertyName, e.ErrorMessage)).ToList());
        }

        // A leaving account's grants are suspended; a new one would let a program in again.
        if (await PendingDeletions.IsDisabledAsync(db, user, ct))
        {
            return Failed([KeyValuePair.Create(string.Empty, "Your account is being deleted: no app password can be made unless you cancel the deletion.")]);
        }

        if ((await grants.ListAsync(user, ct)).Count(g => g.IsAppPassword) >= MaxActive)
        {
            return Failed([KeyValuePair.Create(string.Empty, $"You already have {MaxActive} app passwords, the most you can have. Revoke one you no longer use first.")]);
        }

        _ = ScopeSet.TryParse(string.Join(' ', request.ScopeParts), out var scopes);
        var name = request.Name!.Trim();
        var days = request.ExpiresDays!.Value;
        var issued = await tokens.IssueAsync(user, scopes, Client, days, name, ct);
        var expires = days > 0 ? clock.GetUtcNow().UtcDateTime.AddDays(days) : (DateTime?)null;
        return new AppPasswordOutcome(new AppPasswordCreated(issued.AccessToken, issued.AuthorizationId, name, scopes, expires), []);
    }

    private static AppPasswordOutcome Failed(IReadOnlyList<KeyValuePair<string, string>> errors) => new(null, errors);
}
