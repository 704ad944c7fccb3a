defmodule Golden.RawSend.ServerLoop do
  # The server side of a hand-rolled protocol: replying to a request, then looping.
  def start, do: spawn_link(fn -> loop(%{}) end)

  defp loop(state) do
    receive do
      {:get, from, key} ->
        send(from, {:reply, self(), Map.get(state, key)})
        loop(state)
    after
      60_000 -> :idle_stop
    end
  end

  def heartbeat(parent) do
    send(parent, {:alive, self()})
    heartbeat_wait(parent)
  end

  defp heartbeat_wait(parent) do
    receive do
      :stop -> :ok
    after
      1_000 -> heartbeat(parent)
    end
  end
end
