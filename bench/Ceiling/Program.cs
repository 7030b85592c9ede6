// The ceiling for bench/run.sh: what Kestrel alone does on this machine. Every request, whatever
// its method, path or headers, gets 200 with the same 1,024-byte JSON body, written from one
// pre-built array (no routing, no authentication, no serialization, no I/O).
using System.Text;

var body = Encoding.UTF8.GetBytes("{\"pad\":\"" + new string('x', 1024 - 10) + "\"}");
if (body.Length != 1024)
{
    throw new InvalidOperationException($"the ceiling body is {body.Length} bytes, not 1024");
}

var builder = WebApplication.CreateSlimBuilder(args);
var app = builder.Build();
app.Run(context =>
{
    context.Response.StatusCode = StatusCodes.Status200OK;
    context.Response.ContentType = "application/json";
    context.Response.ContentLength = body.Length;
    return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
});
app.Run();
