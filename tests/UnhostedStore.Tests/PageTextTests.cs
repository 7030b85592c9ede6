using System.Text.RegularExpressions;
using System.Xml.Linq;
using UnhostedStore.Accounts;
using UnhostedStore.Accounts.Activity;
using UnhostedStore.Persistence;

namespace UnhostedStore.Tests;

/// <summary>
/// The pages' texts: every key of an area's English resources has a German value and the other
/// way round, both non-empty, with the same placeholders and the same markup; and the pages
/// converted to resources keep no literal English between their tags or in their
/// human-readable attributes (a heuristic: text between tags, on one line, once Razor
/// expressions are taken out, must be a symbol or a name of the allow-list).
/// </summary>
public partial class PageTextTests
{
    /// <summary>Pages whose every word comes from resources. A page converted later joins here.</summary>
    public static readonly string[] Converted =
    [
        "Shared/_Layout.cshtml", "Shared/_ShareLayout.cshtml", "Shared/_LanguageSwitch.cshtml", "Shared/_Crumbs.cshtml",
        "Shared/_DocumentPreview.cshtml", "Shared/_Playlist.cshtml",
        "Files/Index.cshtml", "Files/Delete.cshtml", "Files/Move.cshtml", "Files/Preview.cshtml",
        "Files/_BadPath.cshtml", "Files/_Pager.cshtml", "Files/_RowActions.cshtml", "Files/_TrashNote.cshtml",
        "OAuth/Authorize.cshtml",
        "Shares/Share.cshtml", "Account/Shares.cshtml", "Account/Export.cshtml", "Account/Import.cshtml",
        "Account/MoveIn.cshtml", "Account/MoveInCallback.cshtml", "Account/Delete.cshtml", "Account/Security.cshtml",
        "Account/Authenticator.cshtml", "Account/RecoveryCodes.cshtml", "Account/Reauth.cshtml", "Shared/_PasskeyError.cshtml",
        "Account/History/Trash.cshtml", "Account/History/Versions.cshtml", "Account/History/RestoreFolder.cshtml",
        "Setup.cshtml", "Logout.cshtml", "LoginTwoFactor.cshtml", "LoginRecovery.cshtml",
        "Login.cshtml", "Signup.cshtml", "ResetPassword.cshtml", "Culture.cshtml", "_ViewImports.cshtml", "_ViewStart.cshtml",
        "Files/Bytes.cshtml", "Files/Upload.cshtml",
        "Account/Index.cshtml", "Account/Password.cshtml", "Account/AppPasswords.cshtml", "Account/Activity.cshtml",
        "Shared/_AuditEvents.cshtml",
        "Admin/_AdminLayout.cshtml", "Admin/_ViewStart.cshtml", "Admin/Index.cshtml", "Admin/Users.cshtml", "Admin/User.cshtml",
        "Admin/UserChange.cshtml", "Admin/CreateUser.cshtml", "Admin/Invites.cshtml", "Admin/Settings.cshtml", "Admin/Audit.cshtml",
    ];

    /// <summary>Words that are the same in every language: names and symbols.</summary>
    private static readonly HashSet<string> Allowed = new(StringComparer.Ordinal)
    {
        "UnhostedStore", "English", "Deutsch",

        // C# between tags of one line: @if (...) { <span>..</span> } else { ... }
        "else",
    };

    public static TheoryData<string> Areas()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TextFolder, "*.resx").Where(f => !Path.GetFileName(f).Contains(".de.", StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    public static TheoryData<string> ConvertedPages() => [.. Converted];

    [Fact]
    public void Every_area_has_English_and_German_resources()
    {
        var areas = ((IEnumerable<object[]>)Areas()).Select(a => (string)a[0]).ToList();
        Assert.Equal(["AccountText", "AdminText", "AuditText", "ConsentText", "FilesText", "HistoryPagesText", "ShareText", "SiteText"], areas);
        foreach (var area in areas)
        {
            Assert.True(File.Exists(Path.Combine(TextFolder, area + ".de.resx")), area + ".de.resx is missing");
        }
    }

    [Fact]
    public void Every_page_is_in_the_literal_text_scan()
    {
        var pages = Directory.GetFiles(PagesFolder, "*.cshtml", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(PagesFolder, p).Replace(Path.DirectorySeparatorChar, '/'))
            .Order(StringComparer.Ordinal);
        Assert.Empty(pages.Except(Converted, StringComparer.Ordinal).Select(p => "not scanned: " + p));
        Assert.Equal(Converted.Length, Converted.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Every_audit_kind_category_account_state_and_sign_up_policy_has_words_on_the_pages()
    {
        var audit = Read(Path.Combine(TextFolder, "AuditText.resx"));
        var admin = Read(Path.Combine(TextFolder, "AdminText.resx"));
        string[] wanted =
        [
            .. Enum.GetValues<AuditKind>().Select(k => "AuditText/Kind_" + k),
            .. AuditWords.Categories.Select(c => "AuditText/Category_" + c.Code),
            .. Enum.GetValues<AccountState>().Select(s => "AdminText/State_" + s),
            .. Enum.GetValues<SignupPolicy>().Select(p => "AdminText/Signup_" + p),
        ];
        var missing = wanted.Where(k => !(k.StartsWith("AuditText/", StringComparison.Ordinal) ? audit : admin).ContainsKey(k[(k.IndexOf('/', StringComparison.Ordinal) + 1)..])).ToList();
        Assert.Empty(missing);
    }

    [Theory]
    [MemberData(nameof(Areas))]
    public void Every_English_key_has_a_German_value_and_every_German_key_an_English_one(string area)
    {
        var english = Read(Path.Combine(TextFolder, area + ".resx"));
        var german = Read(Path.Combine(TextFolder, area + ".de.resx"));
        Assert.Empty(english.Keys.Except(german.Keys).Select(k => "not in German: " + k));
        Assert.Empty(german.Keys.Except(english.Keys).Select(k => "not in English: " + k));
        Assert.Empty(english.Concat(german).Where(p => string.IsNullOrWhiteSpace(p.Value)).Select(p => "empty: " + p.Key));
    }

    [Theory]
    [MemberData(nameof(Areas))]
    public void A_German_value_keeps_the_placeholders_and_the_markup_of_the_English_one(string area)
    {
        var english = Read(Path.Combine(TextFolder, area + ".resx"));
        var german = Read(Path.Combine(TextFolder, area + ".de.resx"));
        foreach (var (key, en) in english)
        {
            var de = german.GetValueOrDefault(key) ?? string.Empty;
            Assert.True(Placeholders(en).SetEquals(Placeholders(de)), $"{area}/{key}: placeholders differ: «{en}» «{de}»");
            Assert.Equal(Tags(en), Tags(de));

            // Views write a value as HTML (IHtmlLocalizer): it must be well-formed markup.
            foreach (var value in new[] { en, de })
            {
                var ex = Record.Exception(() => XElement.Parse("<x>" + value + "</x>"));
                Assert.True(ex is null, $"{area}/{key} is not well-formed: «{value}» {ex?.Message}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ConvertedPages))]
    public void A_converted_page_has_no_literal_text_outside_resource_calls(string page)
    {
        var found = new List<string>();
        var lines = File.ReadAllLines(Path.Combine(PagesFolder, page));
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            foreach (Match literal in EnglishLiteral().Matches(line))
            {
                found.Add($"{page}:{i + 1}: string «{literal.Value}»");
            }

            if (IsCode(line))
            {
                continue;
            }

            foreach (Match text in BetweenTags().Matches(RemoveRazor(line)))
            {
                if (Leftover(text.Groups[1].Value) is { Length: > 0 } words)
                {
                    found.Add($"{page}:{i + 1}: text «{words}»");
                }
            }

            foreach (Match attribute in HumanAttribute().Matches(line))
            {
                var value = attribute.Groups[2].Value;
                // Examples of paths (/notes/) and addresses (alice@old.example) read the same in every language.
                if (!value.StartsWith('/') && !ExampleAddress().IsMatch(value) && Leftover(value) is { Length: > 0 } words)
                {
                    found.Add($"{page}:{i + 1}: {attribute.Groups[1].Value} «{words}»");
                }
            }

        }

        Assert.Empty(found);
    }

    [Fact]
    public void The_text_scan_finds_literal_words_and_lets_resource_calls_and_symbols_pass()
    {
        Assert.Equal("Nothing to delete", Leftover("Nothing to delete"));
        Assert.Equal("of allowed", Leftover(" of @Words.Size(Model.QuotaBytes) allowed"));
        Assert.Equal(string.Empty, Leftover("@T[\"Delete_Heading\", Model.Name, target.IsFolder ? \"/\" : \"\"]"));
        Assert.Equal(string.Empty, Leftover("@row.Item.KindText (@T[\"Preview_Changed\"]) · — / @(x ? \"folder\" : \"document\")"));
        Assert.Equal(string.Empty, Leftover("UnhostedStore"));
        Assert.Single(EnglishLiteral().Matches("ViewData[\"Title\"] = \"Move or rename\";"));
        Assert.Single(EnglishLiteral().Matches("@(Model.Folder.IsRoot ? \"Modules and files\" : x)"));
        Assert.Empty(EnglishLiteral().Matches("<tr class=\"@(row.IsFolder ? \"folder\" : \"document\")\">"));
    }

    /// <summary>What is left of a text once Razor expressions, symbols and allowed names are out.</summary>
    private static string Leftover(string text)
    {
        var rest = RemoveRazor(text);
        var words = Word().Matches(rest).Select(m => m.Value).Where(w => !Allowed.Contains(w));
        return string.Join(' ', words);
    }

    /// <summary>Takes out <c>@name.member[...](...)</c> chains and <c>@( ... )</c>, brackets balanced.</summary>
    private static string RemoveRazor(string text)
    {
        var result = new System.Text.StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] != '@')
            {
                result.Append(text[i++]);
                continue;
            }

            i++;
            if (i < text.Length && text[i] == '(')
            {
                i = SkipBalanced(text, i);
                continue;
            }

            var start = i;
            while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] is '_' or '.' or '!' or '?'))
            {
                i++;
                if (i < text.Length && text[i] is '(' or '[')
                {
                    i = SkipBalanced(text, i);
                }
            }

            // @if (...) { <markup> } else { ... }: the condition is code too.
            if (text[start..i] is "if" or "foreach" or "for" or "while" or "switch")
            {
                while (i < text.Length && text[i] == ' ')
                {
                    i++;
                }

                if (i < text.Length && text[i] == '(')
                {
                    i = SkipBalanced(text, i);
                }
            }
        }

        return result.ToString();
    }

    private static int SkipBalanced(string text, int at)
    {
        var depth = 0;
        var quoted = false;
        for (var i = at; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"' && (i == 0 || text[i - 1] != '\\'))
            {
                quoted = !quoted;
            }
            else if (!quoted && c is '(' or '[')
            {
                depth++;
            }
            else if (!quoted && c is ')' or ']' && --depth == 0)
            {
                return i + 1;
            }
        }

        return text.Length;
    }

    private static bool IsCode(string line) =>
        line.Length == 0 || line.StartsWith("@*", StringComparison.Ordinal) || line.StartsWith("//", StringComparison.Ordinal)
        || CodeLine().IsMatch(line);

    private static Dictionary<string, string> Read(string path) =>
        XDocument.Load(path).Root!.Elements("data").ToDictionary(d => (string)d.Attribute("name")!, d => (string?)d.Element("value") ?? string.Empty, StringComparer.Ordinal);

    private static HashSet<string> Placeholders(string value) => [.. Placeholder().Matches(value).Select(m => m.Value)];

    private static string Tags(string value) => string.Join(' ', Tag().Matches(value).Select(m => m.Value).Order(StringComparer.Ordinal));

    private static string PagesFolder => Path.Combine(RepositoryRoot(), "src", "UnhostedStore", "Pages");

    private static string TextFolder => Path.Combine(PagesFolder, "Text");

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "UnhostedStore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("UnhostedStore.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@">([^<>]*)<")]
    private static partial Regex BetweenTags();

    [GeneratedRegex(@"\b(aria-label|title|alt|placeholder|data-busy|data-t-[a-z-]+)=""([^""]*)""")]
    private static partial Regex HumanAttribute();

    /// <summary>A C# string that reads as English words: a capital and a space, or a title.</summary>
    [GeneratedRegex(@"(ViewData\[""Title""\]\s*=\s*""[^""]+"")|(?<![\w-]=)""[A-Z][a-z']+ [a-z][^""]*""")]
    private static partial Regex EnglishLiteral();

    [GeneratedRegex(@"^[a-z0-9.-]+@[a-z0-9.-]+\.example$")]
    private static partial Regex ExampleAddress();

    [GeneratedRegex(@"\p{L}{2,}")]
    private static partial Regex Word();

    [GeneratedRegex(@"^(@(page|model|using|inject|addTagHelper|namespace|section|if|else|for|foreach|switch|await|\{|\}|functions)\b|@\{|\{|\}|case |default:|break;|var |return|else|string |ViewData)")]
    private static partial Regex CodeLine();

    [GeneratedRegex(@"\{\d+(:[^}]*)?\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"</?[a-z]+")]
    private static partial Regex Tag();
}
