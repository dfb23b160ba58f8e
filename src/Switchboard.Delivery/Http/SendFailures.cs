using System.Net.Http;
using System.Net.Sockets;
using System.Security.Authentication;

namespace Switchboard.Delivery.Http;

/// <summary>Turns what went wrong with a request into a <see cref="SendErrorKind"/> and a short message.</summary>
internal static class SendFailures
{
    public static (SendErrorKind Kind, string Detail) Classify(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is SsrfBlockedException blocked)
            {
                return (SendErrorKind.SsrfBlocked, blocked.Message);
            }
        }

        switch ((exception as HttpRequestException)?.HttpRequestError)
        {
            case HttpRequestError.NameResolutionError:
                return (SendErrorKind.Dns, "the host name did not resolve");
            case HttpRequestError.SecureConnectionError:
                return (SendErrorKind.Tls, "TLS handshake failed: " + Innermost(exception).Message);
        }

        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case AuthenticationException:
                    return (SendErrorKind.Tls, "TLS handshake failed: " + e.Message);
                case SocketException socket:
                    return FromSocketError(socket);
                case HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded }:
                    return (SendErrorKind.Reset, "the connection closed before the response was complete");
            }
        }

        return (exception as HttpRequestException)?.HttpRequestError switch
        {
            HttpRequestError.ResponseEnded => (SendErrorKind.Reset, "the connection closed before the response was complete"),
            HttpRequestError.InvalidResponse => (SendErrorKind.Other, "the answer is not valid HTTP/1.1: " + exception.Message),
            HttpRequestError.ConfigurationLimitExceeded => (SendErrorKind.Other, "the response headers are too large"),
            _ => (SendErrorKind.Other, Innermost(exception).Message),
        };
    }

    private static (SendErrorKind, string) FromSocketError(SocketException socket) => socket.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => (SendErrorKind.ConnectionRefused, "connection refused"),
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain or SocketError.NoRecovery
            => (SendErrorKind.Dns, "the host name did not resolve"),
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.NotConnected
            => (SendErrorKind.Reset, "the connection was reset"),
        SocketError.TimedOut => (SendErrorKind.Timeout, "the connection timed out"),
        _ => (SendErrorKind.Other, $"socket error {socket.SocketErrorCode}: {socket.Message}"),
    };

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }
        return exception;
    }
}
