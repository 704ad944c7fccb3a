defmodule Golden.BroadCatch.Rethrow do
  require Logger

  def a(server) do
    GenServer.call(server, :ping)
  catch
    kind, reason ->
      Logger.error(Exception.format(kind, reason, __STACKTRACE__))
      :erlang.raise(kind, reason, __STACKTRACE__)
  end

  def b(server) do
    try do
      GenServer.call(server, :ping)
    catch
      _kind, reason -> exit(reason)
    end
  end
end
