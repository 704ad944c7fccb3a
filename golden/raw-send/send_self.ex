defmodule Golden.RawSend.SendSelf do
  def init(state) do
    send(self(), :load)
    Process.send_after(self(), :tick, 1_000)
    {:ok, state}
  end

  def schedule(pid), do: Process.send_after(pid, {:tick, self()}, 500)

  def poke do
    send(Kernel.self(), {:poke, self()})

    receive do
      {:poke, _} -> :ok
    after
      0 -> :empty
    end
  end
end
