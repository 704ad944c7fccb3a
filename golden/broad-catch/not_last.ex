defmodule Golden.BroadCatch.NotLast do
  def a(server) do
    GenServer.call(server, :ping)
  catch
    _, _ -> :down
    :exit, _ -> :unreachable
  end
end
