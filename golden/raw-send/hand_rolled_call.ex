defmodule Golden.RawSend.HandRolledCall do
  def fetch(server, key) do
    send(server, {:fetch, self(), key})

    receive do
      {:fetched, value} -> {:ok, value}
    after
      5_000 -> {:error, :timeout}
    end
  end

  def ping(server) do
    ref = make_ref()
    Kernel.send(server, {:ping, {self(), ref}})

    receive do
      {^ref, :pong} -> :pong
    after
      1_000 -> :pang
    end
  end
end
