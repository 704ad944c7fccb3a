defmodule Golden.RawSend.PrivateWait do
  def get(server, key) do
    ref = make_ref()
    send(server, {:get, self(), ref, key})
    server |> log() |> await_reply(ref)
  end

  def put(server, key, value) do
    send(server, {:put, self(), key, value})
    await_ack()
  end

  defp log(server), do: server

  defp await_reply(_server, ref) do
    receive do
      {:reply, ^ref, value} -> value
    after
      5_000 -> exit(:timeout)
    end
  end

  defp await_ack, do: do_await(:ack)

  defp do_await(tag) do
    receive do
      {^tag, result} -> result
    after
      5_000 -> {:error, :timeout}
    end
  end
end
