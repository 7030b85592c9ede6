using FluentValidation;
using Microsoft.Extensions.Options;

using UnhostedStore.Configuration;

namespace UnhostedStore.Configuration;

/// <summary>Runs a FluentValidation validator as an options validator, so bad configuration
/// stops the server at start with the setting's name, instead of failing a request later.</summary>
public sealed class FluentOptionsValidation<T>(IValidator<T> validator) : IValidateOptions<T>
    where T : class
{
    public ValidateOptionsResult Validate(string? name, T options)
    {
        var result = validator.Validate(options);
        return result.IsValid
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(result.Errors.Select(e => e.ErrorMessage));
    }
}

public static class FluentOptionsValidationExtensions
{
    public static OptionsBuilder<T> ValidateWithFluent<T, TValidator>(this OptionsBuilder<T> builder)
        where T : class
        where TValidator : class, IValidator<T>
    {
        builder.Services.AddSingleton<IValidator<T>, TValidator>();
        builder.Services.AddSingleton<IValidateOptions<T>, FluentOptionsValidation<T>>();
        return builder.ValidateOnStart();
    }
}
